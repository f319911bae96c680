package org.moellava.conformance;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.graph.InferenceModel;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.TfModelRunner;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;

/**
 * A serving {@link Backend} (ONNX Runtime, TensorRT) seen as an {@link InferenceModel}, so evaluation and routing
 * analysis run on an exported package exactly as on the TensorFlow graphs. Owns the backend.
 */
public final class BackendInferenceModel implements InferenceModel {
  private final Backend backend;
  private final ModelConfig config;

  public BackendInferenceModel(Backend backend, ModelConfig config) {
    this.backend = backend;
    this.config = config;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public TensorValue imageFeatures(TensorValue pixelValues) {
    int b = (int) pixelValues.shape()[0];
    ModelInfo info = backend.info();
    FloatBuffer out = backend.imageFeatures(Tensors.floatsOf(pixelValues.data()), b); // [B, P, D]
    return new TensorValue(new long[] {b, info.numImageTokens(), info.hiddenSize()}, copy(out));
  }

  @Override
  public TensorValue embed(IntTensorValue inputIds, TensorValue imageFeatures) {
    int b = (int) inputIds.shape()[0];
    int s = (int) inputIds.shape()[1];
    FloatBuffer out = backend.embed(Tensors.longsOf(longs(inputIds.data())), b, s,
        imageFeatures == null ? null : Tensors.floatsOf(imageFeatures.data())); // [B, S, D]
    return new TensorValue(new long[] {b, s, backend.info().hiddenSize()}, copy(out));
  }

  @Override
  public TfModelRunner.DecoderOutput decode(TensorValue inputsEmbeds, IntTensorValue attentionMask,
      IntTensorValue positionIds, TfModelRunner.KvCache past) {
    ModelInfo info = backend.info();
    int b = (int) inputsEmbeds.shape()[0];
    int s = (int) inputsEmbeds.shape()[1];
    int pastLength = (int) past.length();
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    for (int i = 0; i < past.keys().size(); i++) {
      keys.add(Tensors.floatsOf(past.keys().get(i).data()));
      values.add(Tensors.floatsOf(past.values().get(i).data()));
    }
    DecoderOutput out = backend.decode(new DecoderInput(b, s, pastLength, Tensors.floatsOf(inputsEmbeds.data()),
        Tensors.longsOf(longs(attentionMask.data())), Tensors.longsOf(longs(positionIds.data())), keys, values));
    if (out.lastPositionOnly() && s > 1) {
      throw new IllegalStateException(backend.name() + " returns logits of the last position only");
    }
    TensorValue logits = new TensorValue(new long[] {b, s, info.vocabSize()}, copy(out.logits()));
    long[] cacheShape = {b, info.numKeyValueHeads(), pastLength + s, info.headDim()};
    List<TensorValue> presentKeys = new ArrayList<>();
    List<TensorValue> presentValues = new ArrayList<>();
    for (int i = 0; i < out.presentKeys().size(); i++) {
      presentKeys.add(new TensorValue(cacheShape, copy(out.presentKeys().get(i))));
      presentValues.add(new TensorValue(cacheShape, copy(out.presentValues().get(i))));
    }
    Map<Integer, TensorValue> routers = new LinkedHashMap<>();
    for (int j = 0; j < info.moeLayers().size(); j++) {
      routers.put(info.moeLayers().get(j),
          new TensorValue(new long[] {(long) b * s, info.numExperts()}, copy(out.routerLogits().get(j))));
    }
    return new TfModelRunner.DecoderOutput(logits, new TfModelRunner.KvCache(presentKeys, presentValues), routers);
  }

  @Override
  public void close() {
    backend.close();
  }

  private static long[] longs(int[] ints) {
    long[] out = new long[ints.length];
    for (int i = 0; i < ints.length; i++) out[i] = ints[i];
    return out;
  }

  private static float[] copy(FloatBuffer f) {
    float[] a = new float[f.limit()];
    f.get(0, a);
    return a;
  }
}
