package org.moellava.export.onnx.tf;

import java.util.HashMap;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

/**
 * Static TF types and shapes of every node output, taken from TF's own shape inference by importing the
 * GraphDef into a scratch {@link Graph}.
 */
public final class TfGraphInfo {
  /** Static shape of one output: {@code dims} null when even the rank is unknown; -1 for unknown dims. */
  public record OutputInfo(DataType type, long[] dims) {
    /** Whether rank and all dims are known. */
    public boolean fullyKnown() {
      if (dims == null) return false;
      for (long d : dims) if (d < 0) return false;
      return true;
    }
  }

  private final Map<TfRef, OutputInfo> outputs;
  private final Map<String, Integer> outputCounts;

  private TfGraphInfo(Map<TfRef, OutputInfo> outputs, Map<String, Integer> outputCounts) {
    this.outputs = outputs;
    this.outputCounts = outputCounts;
  }

  /** Runs TF shape inference over {@code graph}. */
  public static TfGraphInfo infer(TfGraph graph) {
    Map<TfRef, OutputInfo> info = new HashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    try (Graph g = new Graph()) {
      try {
        g.importGraphDef(graph.toGraphDef());
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException("graph " + graph.name() + ": TF cannot import it: " + e.getMessage(), e);
      }
      for (TfNode n : graph.nodes()) {
        GraphOperation op = g.operation(n.name());
        counts.put(n.name(), op.numOutputs());
        for (int i = 0; i < op.numOutputs(); i++) {
          Output<?> out = op.output(i);
          long[] dims = out.shape().isUnknown() ? null : out.shape().asArray();
          info.put(new TfRef(n.name(), i), new OutputInfo(out.dataType(), dims));
        }
      }
    }
    return new TfGraphInfo(info, counts);
  }

  /** Number of outputs of node {@code node}. */
  public int numOutputs(String node) {
    return outputCounts.getOrDefault(node, 0);
  }

  /** Type and static shape of {@code ref}. */
  public OutputInfo get(TfRef ref) {
    OutputInfo i = outputs.get(ref);
    if (i == null) {
      throw new InvalidInputException("no TF output " + ref);
    }
    return i;
  }
}
