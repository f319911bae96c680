package org.moellava.export.onnx.rewrite;

import org.moellava.export.onnx.tf.TfGraph;

/**
 * A GraphDef-level rewrite that runs before op conversion (tf2onnx style): freezing variables, folding
 * constants, or replacing a recognised subgraph by a single node of a custom op type that a registered
 * handler then converts (the hook for fused patterns such as a sparse MoE block).
 */
@FunctionalInterface
public interface TfRewriter {
  /** The rewritten graph; {@code graph} is not modified. */
  TfGraph rewrite(TfGraph graph);
}
