package org.moellava.export.onnx.handlers;

/**
 * The handler for one TF op type over an inclusive range of ONNX default-domain opsets.
 *
 * @param tfOp the TF op type, e.g. {@code MatMul}; rewriters may introduce their own op types
 * @param sinceOpset lowest target opset this handler emits valid ONNX for
 * @param untilOpset highest target opset this handler emits valid ONNX for
 * @param converter the conversion
 */
public record OpHandler(String tfOp, int sinceOpset, int untilOpset, OpConverter converter) {

  public OpHandler {
    if (sinceOpset > untilOpset) {
      throw new IllegalArgumentException(tfOp + ": empty opset range " + sinceOpset + ".." + untilOpset);
    }
  }

  /** Whether this handler supports target opset {@code opset}. */
  public boolean supports(int opset) {
    return opset >= sinceOpset && opset <= untilOpset;
  }
}
