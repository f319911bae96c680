package org.moellava.export.onnx.optimize;

import org.moellava.export.onnx.proto.GraphProto;

/** An ONNX-level clean-up that runs after conversion and keeps the graph's results unchanged. */
@FunctionalInterface
public interface OnnxOptimizer {
  GraphProto optimize(GraphProto graph);
}
