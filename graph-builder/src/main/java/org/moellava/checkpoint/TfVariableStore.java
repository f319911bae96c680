package org.moellava.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.layers.NameScopes;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Saves and restores named float32 tensors as a TensorFlow checkpoint ({@code prefix.index} +
 * {@code prefix.data-*}), the format {@code Session.save} writes for a training graph's {@code VariableV2}s.
 *
 * <p>Saving builds a throwaway graph with one variable per name, assigns the values from fed placeholders and
 * calls {@code Session.save}. Restoring runs a raw {@code RestoreV2} op for the requested names, so no graph of
 * the model is needed.
 */
final class TfVariableStore {
  /** Variables restored per session run, to bound the memory held by one {@link Result}. */
  private static final int RESTORE_BATCH = 64;

  private TfVariableStore() {}

  /** A session that does not size the process-wide thread pools (the training session should). */
  private static Session newSession(Graph graph) {
    ConfigProto config = ConfigProto.newBuilder()
        .setUsePerSessionThreads(true)
        .setIntraOpParallelismThreads(1)
        .setInterOpParallelismThreads(1)
        .build();
    return new Session(graph, config);
  }

  /** Writes {@code variables} under {@code prefix}; the prefix's directory must exist. */
  static void save(Map<String, TensorValue> variables, Path prefix) {
    if (variables.isEmpty()) {
      throw new IllegalArgumentException("a checkpoint needs at least one variable");
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      NameScopes names = new NameScopes(tf);
      Ops helpers = tf.withSubScope("save");
      Map<String, Placeholder<TFloat32>> feeds = new LinkedHashMap<>();
      List<Op> assigns = new ArrayList<>();
      int index = 0;
      for (Map.Entry<String, TensorValue> e : variables.entrySet()) {
        Shape shape = Shape.of(e.getValue().shape());
        Variable<TFloat32> variable = names.named(e.getKey()).variable(shape, TFloat32.class);
        if (!variable.op().name().equals(e.getKey())) {
          throw new IllegalArgumentException("variable name '" + e.getKey() + "' collides with another variable's"
              + " scope (it would be saved as '" + variable.op().name() + "')");
        }
        Placeholder<TFloat32> feed = helpers.withName("feed_" + index).placeholder(TFloat32.class,
            Placeholder.shape(shape));
        assigns.add(helpers.withName("assign_" + index).assign(variable, feed));
        feeds.put(e.getKey(), feed);
        index++;
      }
      try (Session session = newSession(graph)) {
        List<TFloat32> tensors = new ArrayList<>();
        try {
          Session.Runner runner = session.runner();
          for (Map.Entry<String, Placeholder<TFloat32>> e : feeds.entrySet()) {
            TensorValue value = variables.get(e.getKey());
            TFloat32 t = TFloat32.tensorOf(Shape.of(value.shape()), DataBuffers.of(value.data(), true, false));
            tensors.add(t);
            runner.feed(e.getValue(), t);
          }
          assigns.forEach(runner::addTarget);
          runner.run().close();
        } finally {
          tensors.forEach(Tensor::close);
        }
        session.save(prefix.toString());
      }
    }
  }

  /**
   * Reads {@code specs} from the checkpoint at {@code prefix}, checking each restored shape against its spec.
   *
   * @throws InvalidInputException naming the checkpoint and the problem when it is missing, truncated or corrupt
   */
  static Map<String, TensorValue> restore(Path prefix, List<VariableSpec> specs) {
    requireIndex(prefix);
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (int start = 0; start < specs.size(); start += RESTORE_BATCH) {
      List<VariableSpec> batch = specs.subList(start, Math.min(specs.size(), start + RESTORE_BATCH));
      restoreBatch(prefix, batch, (i, t) -> out.put(batch.get(i).name(), toValue(prefix, batch.get(i), t)));
    }
    return out;
  }

  /**
   * Reads {@code spec} from the checkpoint at {@code prefix} into a native tensor, checks its shape and passes it to
   * {@code use} (no copy on the Java heap); the tensor is closed when {@code use} returns.
   */
  static void restoreInto(Path prefix, VariableSpec spec, java.util.function.Consumer<TFloat32> use) {
    requireIndex(prefix);
    // what use throws is its own failure (e.g. TensorFlow assigning the value), not a corrupt checkpoint: it is
    // carried past restoreBatch's handler and rethrown as it was
    RuntimeException[] fromUse = new RuntimeException[1];
    restoreBatch(prefix, List.of(spec), (i, t) -> {
      checkShape(prefix, spec, t.shape().asArray());
      try {
        use.accept(t);
      } catch (RuntimeException e) {
        fromUse[0] = e;
      }
    });
    if (fromUse[0] != null) throw fromUse[0];
  }

  private static void requireIndex(Path prefix) {
    Path index = Path.of(prefix + ".index");
    if (!Files.isRegularFile(index)) {
      throw new InvalidInputException(index + ": missing: not a complete TensorFlow checkpoint");
    }
  }

  /** Receives the {@code i}-th restored tensor of a batch, valid until it returns. */
  @FunctionalInterface
  private interface Restored {
    void accept(int i, TFloat32 tensor);
  }

  private static void restoreBatch(Path prefix, List<VariableSpec> batch, Restored out) {
    String[] names = batch.stream().map(VariableSpec::name).toArray(String[]::new);
    String[] slices = new String[names.length];
    Arrays.fill(slices, "");
    List<Class<? extends TType>> dtypes = new ArrayList<>(Collections.nCopies(names.length, TFloat32.class));
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<TString> prefixOp = tf.constant(prefix.toString());
      Operand<TString> namesOp = tf.constant(Shape.of(names.length), DataBuffers.ofObjects(names));
      Operand<TString> slicesOp = tf.constant(Shape.of(names.length), DataBuffers.ofObjects(slices));
      Restore restore = tf.train.restore(prefixOp, namesOp, slicesOp, dtypes);
      try (Session session = newSession(graph)) {
        Session.Runner runner = session.runner();
        restore.tensors().forEach(runner::fetch);
        try (Result result = runner.run()) {
          for (int i = 0; i < names.length; i++) out.accept(i, (TFloat32) result.get(i));
        }
      }
    } catch (org.tensorflow.exceptions.TensorFlowException e) {
      throw new InvalidInputException(prefix + ".*: cannot restore variables (" + names[0]
          + (names.length > 1 ? ", ..." : "") + "): the checkpoint is truncated or corrupt: "
          + CheckpointJson.firstLine(e.getMessage()), e);
    }
  }

  private static TensorValue toValue(Path prefix, VariableSpec spec, TFloat32 t) {
    long[] shape = t.shape().asArray();
    checkShape(prefix, spec, shape);
    float[] data = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(data, false, false));
    return new TensorValue(shape, data);
  }

  private static void checkShape(Path prefix, VariableSpec spec, long[] shape) {
    if (!Arrays.equals(shape, spec.shapeArray())) {
      throw new InvalidInputException(prefix + ".*: variable '" + spec.name() + "' has shape "
          + Arrays.toString(shape) + " but " + CheckpointFiles.MANIFEST + " says " + spec.shape());
    }
  }
}
