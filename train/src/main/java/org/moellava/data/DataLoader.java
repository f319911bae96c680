package org.moellava.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;

/**
 * Turns a {@link ConversationDataset} into batches. Order is a seeded permutation per epoch, so batch
 * {@code step} is reproducible from (seed, step) alone, which is what a resumed run needs. Each batch has
 * exactly {@code batchSize} rows (an epoch's remainder is dropped) unless the dataset is smaller. Samples of a
 * batch are decoded, preprocessed and tokenised in parallel on the loader's own threads; close it to stop them.
 */
public final class DataLoader implements AutoCloseable {
  private final ConversationDataset dataset;
  private final SampleBuilder builder;
  private final ImagePreprocessor preprocessor;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final int padId;
  private final boolean padToMaxLength;
  private final ExecutorService pool;

  /**
   * @param dataset the entries
   * @param builder tokenises entries
   * @param preprocessor makes pixel_values
   * @param batchSize rows per batch
   * @param seed shuffling seed
   * @param shuffle shuffle per epoch (false: dataset order)
   * @param padId pad_token_id
   * @param padToMaxLength pad every batch to the builder's max length (fixed shapes) instead of its longest row
   * @param threads worker threads (at least 1)
   */
  public DataLoader(ConversationDataset dataset, SampleBuilder builder, ImagePreprocessor preprocessor, int batchSize,
      long seed, boolean shuffle, int padId, boolean padToMaxLength, int threads) {
    if (dataset.size() == 0) throw new InvalidInputException("dataset is empty");
    if (batchSize < 1) throw new InvalidInputException("batch size must be positive, got " + batchSize);
    this.dataset = dataset;
    this.builder = builder;
    this.preprocessor = preprocessor;
    this.batchSize = Math.min(batchSize, dataset.size());
    this.seed = seed;
    this.shuffle = shuffle;
    this.padId = padId;
    this.padToMaxLength = padToMaxLength;
    this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, "moellava-data");
      t.setDaemon(true);
      return t;
    });
  }

  /** Batches per epoch. */
  public int batchesPerEpoch() {
    return dataset.size() / batchSize;
  }

  /** Rows per batch. */
  public int batchSize() {
    return batchSize;
  }

  /** Dataset indices of global batch {@code step} (epoch = step / batchesPerEpoch). */
  public int[] indicesOf(long step) {
    long epoch = step / batchesPerEpoch();
    int position = (int) (step % batchesPerEpoch());
    int[] order = order(epoch);
    return Arrays.copyOfRange(order, position * batchSize, (position + 1) * batchSize);
  }

  /** Global batch {@code step}. */
  public Batch batch(long step) {
    return batchOf(indicesOf(step));
  }

  /** A batch of the given dataset indices. */
  public Batch batchOf(int[] indices) {
    int n = indices.length;
    int values = preprocessor.valuesPerImage();
    float[] pixels = new float[n * values];
    List<Future<TokenizedSample>> futures = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      int row = b;
      int index = indices[b];
      futures.add(pool.submit(() -> {
        LlavaEntry entry = dataset.entry(index);
        RgbImage image = dataset.image(index);
        if (image != null) preprocessor.preprocessInto(image, pixels, row * values); // [3, H, W] slice of row
        return builder.build(entry);
      }));
    }
    List<TokenizedSample> samples = new ArrayList<>(n);
    for (Future<TokenizedSample> f : futures) samples.add(join(f));
    return collate(samples, pixels, preprocessor.imageSize(), padId, padToMaxLength ? builder.maxLength() : -1);
  }

  /** Right-pads samples into a batch; {@code length < 0} pads to the longest row. */
  public static Batch collate(List<TokenizedSample> samples, float[] pixels, int imageSize, int padId, int length) {
    int s = length;
    if (s < 0) {
      for (TokenizedSample t : samples) s = Math.max(s, t.length());
    }
    int n = samples.size();
    int[][] ids = new int[n][s];
    int[][] mask = new int[n][s];
    int[][] labels = new int[n][s];
    boolean[] hasImage = new boolean[n];
    List<String> rowIds = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      TokenizedSample t = samples.get(b);
      int len = Math.min(t.length(), s);
      Arrays.fill(ids[b], padId);
      Arrays.fill(labels[b], TokenizedSample.IGNORE);
      System.arraycopy(t.inputIds(), 0, ids[b], 0, len);
      System.arraycopy(t.labels(), 0, labels[b], 0, len);
      Arrays.fill(mask[b], 0, len, 1);
      hasImage[b] = t.hasImage();
      rowIds.add(t.id());
    }
    return new Batch(rowIds, ids, mask, labels, pixels, hasImage, imageSize);
  }

  private int[] order(long epoch) {
    int n = dataset.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) order[i] = i;
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  private static TokenizedSample join(Future<TokenizedSample> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading a batch", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IllegalStateException("loading a batch failed", e.getCause());
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
