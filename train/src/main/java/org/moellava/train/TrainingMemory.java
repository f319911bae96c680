package org.moellava.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import org.moellava.config.ModelConfig;
import org.moellava.config.ParameterCount;
import org.moellava.config.StageConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.VariableGroup;

/**
 * An up-front estimate of a language stage's memory, checked before any weight is read, so that a model too large for
 * the machine fails at once with the arithmetic instead of after minutes of loading (or with the OOM killer).
 *
 * <p>Fixed part, all float32: the weights twice (the TensorFlow variables, and the starting weights the trainer keeps
 * in the Java heap for its checkpoints), then per trained parameter its gradient (4 B), the AdamW moments m and v
 * (8 B), and the accumulated gradient when {@code grad_accum_steps > 1} (4 B). Per sample: the decoder's activations
 * kept for the backward pass at {@code S = P + 128} tokens, by Korthikanti et al. (2022) without recomputation,
 * {@code s·h·(34 + 5·a·s/h)} bytes per layer at 16 bits, doubled for float32, plus the logits, their softmax and its
 * gradient ({@code 3·S·V·4} bytes). It is an estimate: TensorFlow's temporaries come on top, hence the margin.
 *
 * @param weights bytes of the weights in one float32 copy
 * @param trainedParameters parameters of the trained groups
 * @param fixed bytes needed whatever the batch
 * @param perSample bytes per sample of the micro-batch
 * @param sequence the sequence length of the estimate
 */
public record TrainingMemory(long weights, long trainedParameters, long fixed, long perSample, int sequence) {
  /** Kept free for TensorFlow's temporaries, the JVM and the data pipeline: a quarter of the estimate, 256 MiB to 2 GiB. */
  public static final long MARGIN = 2L << 30;
  private static final long MIN_MARGIN = 256L << 20;

  /** The margin for an estimate of {@code bytes}: a quarter of it, at least 256 MiB and at most {@link #MARGIN}. */
  public static long margin(long bytes) {
    return Math.max(MIN_MARGIN, Math.min(MARGIN, bytes / 4));
  }

  private static final Map<VariableGroup, String> COMPONENTS = Map.of(
      VariableGroup.VISION, "vision", VariableGroup.PROJECTOR, "projector", VariableGroup.EMBEDDINGS, "embeddings",
      VariableGroup.ATTENTION, "attention", VariableGroup.NORMS, "norms", VariableGroup.FFN, "ffn",
      VariableGroup.EXPERTS, "experts", VariableGroup.ROUTERS, "routers", VariableGroup.LM_HEAD, "lm_head");

  /** The estimate for {@code stage} of the model {@code config} (the stage's own config) with {@code settings}. */
  public static TrainingMemory estimate(Stage stage, ModelConfig config, StageConfig settings) {
    ParameterCount count = ParameterCount.of(config);
    long weights = 4L * count.grandTotal();
    long trained = 0;
    for (VariableGroup g : stage.trainedGroups()) {
      String component = COMPONENTS.get(g);
      if (component != null) trained += count.total().getOrDefault(component, 0L);
    }
    long perTrained = 4 + 8 + (settings.gradAccumSteps() > 1 ? 4 : 0);
    long fixed = 2 * weights + perTrained * trained;
    var t = config.textConfig();
    int s = Math.min(t.maxPositionEmbeddings(), config.visionConfig().numPatches() + 128);
    double h = t.hiddenSize();
    double perLayer = 2.0 * s * h * (34 + 5.0 * t.numAttentionHeads() * s / h);
    long perSample = (long) (t.numHiddenLayers() * perLayer) + 3L * s * t.vocabSize() * 4;
    return new TrainingMemory(weights, trained, fixed, perSample, s);
  }

  /** The largest micro-batch that fits in {@code available} bytes (0 when even the fixed part does not fit). */
  public int largestBatch(long available) {
    long left = available - MARGIN - fixed; // the largest batches are large models: the full margin
    return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, left / perSample);
  }

  /** Bytes for a micro-batch of {@code batch}. */
  public long total(int batch) {
    return fixed + (long) batch * perSample;
  }

  /**
   * Refuses a stage that would not fit in the memory available now ({@code MemAvailable}); does nothing where that is
   * unknown (not Linux).
   *
   * @throws InvalidInputException with the estimate and the largest batch that would fit
   */
  public static void check(Stage stage, ModelConfig config, StageConfig settings) {
    OptionalLong available = memAvailable();
    if (available.isEmpty()) return;
    TrainingMemory m = estimate(stage, config, settings);
    int batch = settings.batchSize();
    if (m.total(batch) + margin(m.total(batch)) <= available.getAsLong()) return;
    int fits = m.largestBatch(available.getAsLong());
    throw new InvalidInputException(String.format(Locale.ROOT,
        "%s: not enough memory: batch %d needs about %.1f GiB (weights %.1f GiB twice: TensorFlow and the "
            + "trainer's copy; %,d trained parameters: gradients and AdamW m, v %.1f GiB; activations %.1f GiB per "
            + "sample at %d tokens) plus a %.1f GiB margin, but %.1f GiB are available; %s",
        stage.label(), batch, gib(m.total(batch)), gib(m.weights()), m.trainedParameters(),
        gib(m.fixed() - 2 * m.weights()), gib(m.perSample()), m.sequence(), gib(margin(m.total(batch))), gib(available.getAsLong()),
        fits > 0 ? "the largest batch that fits is " + fits + " (set training." + stage.label()
            + ".batch_size and grad_accum_steps)" : "no batch fits: the weights and optimiser state alone need "
            + String.format(Locale.ROOT, "%.1f GiB", gib(m.fixed()))));
  }

  private static double gib(long bytes) {
    return bytes / (double) (1L << 30);
  }

  /** {@code MemAvailable} of {@code /proc/meminfo} in bytes, if readable. */
  static OptionalLong memAvailable() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) return OptionalLong.of(Long.parseLong(line.trim().split("\\s+")[1]) * 1024);
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no check
    }
    return OptionalLong.empty();
  }
}
