package org.moellava.export.onnx;

import java.util.List;
import java.util.Map;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.tensor.TensorValue;

/**
 * What to export from one TF graph.
 *
 * @param graphName name of the ONNX graph, also used in error messages
 * @param inputs the graph inputs (TF placeholders), in ONNX input order
 * @param outputs the graph outputs, in ONNX output order
 * @param variables values of the variables the outputs need, by variable node name
 * @param opset target opset of the default ONNX domain, 17..20
 */
public record ExportSpec(String graphName, List<Input> inputs, List<Output> outputs,
    Map<String, TensorValue> variables, int opset) {

  /** Default target opset. */
  public static final int DEFAULT_OPSET = 17;

  public ExportSpec {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    variables = java.util.Collections.unmodifiableMap(variables); // a view: the values may be read lazily
    if (opset < OpHandlerRegistry.MIN_OPSET || opset > OpHandlerRegistry.MAX_OPSET) {
      throw new org.moellava.error.InvalidInputException("graph " + graphName + ": opset " + opset
          + " not supported; use " + OpHandlerRegistry.MIN_OPSET + ".." + OpHandlerRegistry.MAX_OPSET);
    }
    if (outputs.isEmpty()) {
      throw new org.moellava.error.InvalidInputException("graph " + graphName + ": no outputs to export");
    }
  }

  /**
   * A graph input.
   *
   * @param tfName the TF placeholder node name
   * @param onnxName the ONNX input name
   * @param dims the ONNX dims, or null to take TF's static shape (unknown dims become named axes)
   */
  public record Input(String tfName, String onnxName, List<Dim> dims) {
    /** An input named like its placeholder, with the given dims. */
    public static Input of(String name, Dim... dims) {
      return new Input(name, name, List.of(dims));
    }
  }

  /**
   * A graph output.
   *
   * @param tfRef the TF tensor, {@code node} or {@code node:index}
   * @param onnxName the ONNX output name
   * @param dims the ONNX dims, or null to take TF's static shape (unknown dims left unnamed)
   */
  public record Output(String tfRef, String onnxName, List<Dim> dims) {
    /** An output named {@code onnxName} for TF tensor {@code tfRef} with the given dims. */
    public static Output of(String tfRef, String onnxName, Dim... dims) {
      return new Output(tfRef, onnxName, dims.length == 0 ? null : List.of(dims));
    }
  }
}
