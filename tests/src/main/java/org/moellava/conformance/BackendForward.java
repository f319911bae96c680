package org.moellava.conformance;

import java.util.LinkedHashMap;
import java.util.Map;
import org.moellava.eval.forward.ForwardTool;
import org.moellava.graph.TensorValue;
import org.moellava.safetensors.LongTensorValue;
import org.moellava.serve.backend.Backend;
import org.moellava.serve.backend.ModelInfo;

/**
 * {@code moellava forward} on any {@link Backend} (ONNX Runtime, TensorRT): one prefill over the given inputs, then
 * {@code generate} greedy tokens with the KV cache, with outputs under the Hugging Face fixtures' names, as
 * {@link ForwardTool} does for the TensorFlow graphs.
 */
public final class BackendForward {
  private BackendForward() {}

  public static ForwardTool.Outputs run(Backend backend, ForwardTool.Inputs in, int generate) {
    ModelInfo info = backend.info();
    int b = (int) in.inputIds().shape()[0];
    int s = (int) in.inputIds().shape()[1];
    long[] ids = new long[b * s];
    long[] mask = new long[b * s];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = in.inputIds().data()[i];
      mask[i] = in.attentionMask().data()[i];
    }
    float[] pixels = in.pixelValues() == null ? null : in.pixelValues().data();
    BackendTrace trace = TraceRunner.run(backend, new ConformanceCase("forward", b, s, ids, mask, pixels,
        Math.max(generate, 1)), null);
    TensorValue features = trace.imageFeatures() == null ? null
        : new TensorValue(new long[] {b, info.numImageTokens(), info.hiddenSize()}, trace.imageFeatures());
    TensorValue logits = new TensorValue(new long[] {b, s, info.vocabSize()}, trace.prefillLogits());
    Map<Integer, TensorValue> routers = new LinkedHashMap<>();
    for (int j = 0; j < info.moeLayers().size(); j++) {
      routers.put(info.moeLayers().get(j),
          new TensorValue(new long[] {(long) b * s, info.numExperts()}, trace.stepRouterLogits().get(0).get(j)));
    }
    LongTensorValue greedy = null;
    if (generate > 0) {
      long[] tokens = new long[b * generate];
      for (int r = 0; r < b; r++) {
        for (int t = 0; t < generate; t++) tokens[r * generate + t] = trace.tokens()[r][t];
      }
      greedy = new LongTensorValue(new long[] {b, generate}, tokens);
    }
    return new ForwardTool.Outputs(features, logits, routers, greedy);
  }
}
