package org.moellava.export.onnx.rewrite;

import org.moellava.export.onnx.tf.TfGraph;

/**
 * A GraphDef-level rewrite that runs before op conversion (tf2onnx style): freezing variables, folding
 * constants, or replacing a recognised subgraph by a single node of a custom op type that a registered
 * handler then converts (the hook for fused patterns such as a sparse MoE block).
 *
 * <p>Pattern rewriters given to the converter run after constant folding and TF shape inference, so their
 * op types need not exist in TF. A fused node should take the name of the node whose output it replaces, so
 * that the TF types and static shapes of that output stay known to handlers.
 */
@FunctionalInterface
public interface TfRewriter {
  /** The rewritten graph; {@code graph} is not modified. */
  TfGraph rewrite(TfGraph graph);
}
