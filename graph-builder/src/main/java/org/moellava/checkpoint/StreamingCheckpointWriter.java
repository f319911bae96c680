package org.moellava.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.error.InvalidInputException;
import org.moellava.io.AtomicFiles;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Writes a checkpoint one variable at a time, holding at most about {@code batchBytes} of values (plus their native
 * copies while a batch is saved) instead of the whole model: what {@link CheckpointWriter} writes, for models that do
 * not fit in memory twice.
 *
 * <p>Variables are buffered until {@code batchBytes} is reached, then saved with a raw {@code SaveV2} op (no
 * variables, no graph of the model) as one part checkpoint under the staging directory; {@link #finish} merges the
 * parts with {@code MergeV2Checkpoints} into {@code variables/variables.*} (one data shard per part, which
 * {@code RestoreV2} reads like a single one), writes the manifest, config, tokenizer, extra files and, last,
 * {@code state.json}, and publishes the staging directory with a rename. A writer closed without {@link #finish}
 * removes its staging directory: nothing half-written is left.
 */
public final class StreamingCheckpointWriter implements AutoCloseable {
  /** The default batch: 512 MB of float32 values. */
  public static final long DEFAULT_BATCH_BYTES = 512L << 20;

  private final Path target;
  private final Path staging;
  private final Path partsDir;
  private final long batchBytes;
  private final Map<String, TensorValue> batch = new LinkedHashMap<>();
  private final List<VariableSpec> specs = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private final List<String> parts = new ArrayList<>();
  private long batchSize;
  private boolean finished;

  private StreamingCheckpointWriter(Path target, long batchBytes) {
    this.target = target;
    this.batchBytes = batchBytes;
    this.staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      Files.createDirectories(CheckpointFiles.variablesDir(staging));
      this.partsDir = Files.createDirectories(staging.resolve(".parts"));
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(target + ": cannot write checkpoint: " + e.getMessage(), e);
    }
  }

  /** A writer of the checkpoint {@code target} (published by {@link #finish}), saving every {@code batchBytes}. */
  public static StreamingCheckpointWriter open(Path target, long batchBytes) {
    if (batchBytes <= 0) throw new IllegalArgumentException("batchBytes must be positive");
    return new StreamingCheckpointWriter(target, batchBytes);
  }

  /** A writer with {@link #DEFAULT_BATCH_BYTES}. */
  public static StreamingCheckpointWriter open(Path target) {
    return open(target, DEFAULT_BATCH_BYTES);
  }

  /** Adds one variable; the value is not copied and must not change until it is saved. */
  public void add(String name, TensorValue value) {
    if (finished) throw new IllegalStateException("the checkpoint is already finished");
    if (!names.add(name)) throw new IllegalArgumentException("variable '" + name + "' added twice");
    batch.put(name, value);
    specs.add(new VariableSpec(name, VariableSpec.FLOAT32, Arrays.stream(value.shape()).boxed().toList()));
    batchSize += 4L * value.data().length;
    if (batchSize >= batchBytes) flush();
  }

  /** The number of variables added so far. */
  public int size() {
    return specs.size();
  }

  /**
   * Saves what is buffered, merges the parts, writes the other files and publishes the checkpoint.
   *
   * @param tokenizerJson the bytes of {@code tokenizer.json}, or null for none
   * @param extraFiles plain file names and their bytes, as for {@link CheckpointWriter}
   */
  public Path finish(ModelConfig config, byte[] tokenizerJson, TrainingState state, Map<String, byte[]> extraFiles) {
    if (finished) throw new IllegalStateException("the checkpoint is already finished");
    if (specs.isEmpty()) throw new IllegalArgumentException("a checkpoint needs at least one variable");
    for (String name : extraFiles.keySet()) {
      if (CheckpointFiles.RESERVED.contains(name) || name.contains("/") || name.contains("\\")
          || name.startsWith(".") || name.isEmpty()) {
        throw new IllegalArgumentException("extra checkpoint file name '" + name + "' is not allowed");
      }
    }
    flush();
    try {
      merge();
      AtomicFiles.deleteRecursively(partsDir);
      Files.writeString(staging.resolve(CheckpointFiles.CONFIG), ModelConfigIO.toJson(config));
      if (tokenizerJson != null) Files.write(staging.resolve(CheckpointFiles.TOKENIZER), tokenizerJson);
      for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) Files.write(staging.resolve(e.getKey()), e.getValue());
      List<VariableSpec> sorted = new ArrayList<>(specs);
      sorted.sort((a, b) -> a.name().compareTo(b.name()));
      Files.write(CheckpointFiles.manifest(staging), CheckpointJson.toBytes(new VariableManifest(sorted)));
      // state.json last: its presence marks a complete checkpoint
      Files.write(staging.resolve(CheckpointFiles.STATE), CheckpointJson.toBytes(state));
      AtomicFiles.publishDirectory(staging, target);
      finished = true;
      return target;
    } catch (IOException e) {
      throw new InvalidInputException(target + ": cannot write checkpoint: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (!finished) AtomicFiles.deleteRecursively(staging);
  }

  /** Saves the buffered variables as the next part checkpoint and forgets them. */
  private void flush() {
    if (batch.isEmpty()) return;
    String prefix = partsDir.resolve(String.format("part-%05d", parts.size())).toString();
    String[] batchNames = batch.keySet().toArray(String[]::new);
    String[] slices = new String[batchNames.length];
    Arrays.fill(slices, "");
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      List<Placeholder<TFloat32>> feeds = new ArrayList<>();
      for (int i = 0; i < batchNames.length; i++) {
        feeds.add(tf.withName("feed_" + i).placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(batch.get(batchNames[i]).shape()))));
      }
      Operand<TString> prefixOp = tf.constant(prefix);
      Operand<TString> namesOp = tf.constant(Shape.of(batchNames.length), DataBuffers.ofObjects(batchNames));
      Operand<TString> slicesOp = tf.constant(Shape.of(batchNames.length), DataBuffers.ofObjects(slices));
      var save = tf.train.save(prefixOp, namesOp, slicesOp, new ArrayList<Operand<?>>(feeds));
      try (Session session = newSession(graph)) {
        List<TFloat32> tensors = new ArrayList<>();
        try {
          Session.Runner runner = session.runner();
          for (int i = 0; i < batchNames.length; i++) {
            TensorValue value = batch.get(batchNames[i]);
            TFloat32 t = TFloat32.tensorOf(Shape.of(value.shape()), DataBuffers.of(value.data(), true, false));
            tensors.add(t);
            runner.feed(feeds.get(i), t);
          }
          runner.addTarget(save).run().close();
        } finally {
          tensors.forEach(Tensor::close);
        }
      }
    } catch (org.tensorflow.exceptions.TensorFlowException e) {
      throw new InvalidInputException(target + ": cannot write checkpoint: " + CheckpointJson.firstLine(e.getMessage()),
          e);
    }
    parts.add(prefix);
    batch.clear();
    batchSize = 0;
  }

  /** Merges the part checkpoints into {@code variables/variables.*}. */
  private void merge() {
    String destination = CheckpointFiles.variablesPrefix(staging).toString();
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      String[] prefixes = parts.toArray(String[]::new);
      var merge = tf.train.mergeV2Checkpoints(
          tf.constant(Shape.of(prefixes.length), DataBuffers.ofObjects(prefixes)), tf.constant(destination));
      try (Session session = newSession(graph)) {
        session.runner().addTarget(merge).run().close();
      }
    } catch (org.tensorflow.exceptions.TensorFlowException e) {
      throw new InvalidInputException(target + ": cannot merge the checkpoint's parts: "
          + CheckpointJson.firstLine(e.getMessage()), e);
    }
  }

  private static Session newSession(Graph graph) {
    ConfigProto config = ConfigProto.newBuilder()
        .setUsePerSessionThreads(true)
        .setIntraOpParallelismThreads(1)
        .setInterOpParallelismThreads(1)
        .build();
    return new Session(graph, config);
  }
}
