package org.moellava.export.validate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.pkg.GraphNames;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.TfModelRunner;

/**
 * Runs a model package's three ONNX files in ONNX Runtime (CPU) with the same calls and results as
 * {@link TfModelRunner}, so the two can be compared. Integer inputs are fed as int64, the package's boundary type.
 */
public final class OrtPackageRunner implements AutoCloseable {
  private final ModelConfig config;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession vision;
  private final OrtSession embed;
  private final OrtSession decoder;
  private final List<Integer> moeLayers;

  /** Opens {@code dir/vision.onnx}, {@code embed.onnx} and {@code decoder.onnx} of a package for {@code config}. */
  public OrtPackageRunner(Path dir, ModelConfig config) {
    this(dir, config, 0);
  }

  /** As {@link #OrtPackageRunner(Path, ModelConfig)} with {@code intraOpThreads} (0: ONNX Runtime's default). */
  public OrtPackageRunner(Path dir, ModelConfig config, int intraOpThreads) {
    this.config = config;
    this.moeLayers = PackageGraphs.moeLayers(config);
    List<OrtSession> opened = new ArrayList<>();
    try {
      for (String name : List.of(PackageGraphs.VISION, PackageGraphs.EMBED, PackageGraphs.DECODER)) {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
          if (intraOpThreads > 0) opts.setIntraOpNumThreads(intraOpThreads);
          opened.add(env.createSession(dir.resolve(name + ".onnx").toString(), opts));
        }
      }
    } catch (OrtException e) {
      opened.forEach(OrtPackageRunner::closeQuietly);
      throw new InvalidInputException(dir + ": ONNX Runtime cannot load the package: " + firstLine(e), e);
    }
    vision = opened.get(0);
    embed = opened.get(1);
    decoder = opened.get(2);
  }

  /** {@code pixel_values [B,3,H,W]} to {@code image_features [B,P,D]}. */
  public TensorValue imageFeatures(TensorValue pixelValues) {
    Map<String, OnnxTensor> in = new LinkedHashMap<>();
    try {
      in.put(GraphNames.PIXEL_VALUES, floats(pixelValues));
      try (OrtSession.Result r = vision.run(in)) {
        return toValue(r.get(GraphNames.IMAGE_FEATURES).orElseThrow());
      }
    } catch (OrtException e) {
      throw failure("vision", e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** {@code input_ids [B,S]}, {@code image_features [B,P,D]} to {@code inputs_embeds [B,S,D]}. */
  public TensorValue embed(IntTensorValue inputIds, TensorValue imageFeatures) {
    Map<String, OnnxTensor> in = new LinkedHashMap<>();
    try {
      in.put(GraphNames.INPUT_IDS, longs(inputIds));
      in.put(GraphNames.IMAGE_FEATURES, floats(imageFeatures));
      try (OrtSession.Result r = embed.run(in)) {
        return toValue(r.get(GraphNames.INPUTS_EMBEDS).orElseThrow());
      }
    } catch (OrtException e) {
      throw failure("embed", e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** One decoder pass, as {@link TfModelRunner#decode}. */
  public TfModelRunner.DecoderOutput decode(TensorValue inputsEmbeds, IntTensorValue attentionMask,
      IntTensorValue positionIds, TfModelRunner.KvCache past) {
    TextConfig t = config.textConfig();
    Map<String, OnnxTensor> in = new LinkedHashMap<>();
    try {
      in.put(GraphNames.INPUTS_EMBEDS, floats(inputsEmbeds));
      in.put(GraphNames.ATTENTION_MASK, longs(attentionMask));
      in.put(GraphNames.POSITION_IDS, longs(positionIds));
      for (int i = 0; i < t.numHiddenLayers(); i++) {
        in.put(GraphNames.pastKey(i), floats(past.keys().get(i)));
        in.put(GraphNames.pastValue(i), floats(past.values().get(i)));
      }
      try (OrtSession.Result r = decoder.run(in)) {
        TensorValue logits = toValue(r.get(GraphNames.LOGITS).orElseThrow());
        List<TensorValue> keys = new ArrayList<>();
        List<TensorValue> values = new ArrayList<>();
        for (int i = 0; i < t.numHiddenLayers(); i++) {
          keys.add(toValue(r.get(GraphNames.presentKey(i)).orElseThrow()));
          values.add(toValue(r.get(GraphNames.presentValue(i)).orElseThrow()));
        }
        Map<Integer, TensorValue> router = new LinkedHashMap<>();
        for (int layer : moeLayers) router.put(layer, toValue(r.get(GraphNames.routerLogits(layer)).orElseThrow()));
        return new TfModelRunner.DecoderOutput(logits, new TfModelRunner.KvCache(keys, values), router);
      }
    } catch (OrtException e) {
      throw failure("decoder", e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor floats(TensorValue v) throws OrtException {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(v.data()), v.shape());
  }

  private OnnxTensor longs(IntTensorValue v) throws OrtException {
    long[] data = new long[v.data().length];
    for (int i = 0; i < data.length; i++) data[i] = v.data()[i];
    return OnnxTensor.createTensor(env, LongBuffer.wrap(data), v.shape());
  }

  private static TensorValue toValue(OnnxValue value) {
    OnnxTensor t = (OnnxTensor) value;
    long[] shape = t.getInfo().getShape();
    FloatBuffer b = t.getFloatBuffer();
    float[] data = new float[b.remaining()];
    b.get(data);
    return new TensorValue(shape, data);
  }

  private static InvalidInputException failure(String graph, OrtException e) {
    return new InvalidInputException(graph + ".onnx: ONNX Runtime failed: " + firstLine(e), e);
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException ignored) {
      // closing after a failed open: nothing more to report
    }
  }

  @Override
  public void close() {
    for (OrtSession s : new OrtSession[] {decoder, embed, vision}) closeQuietly(s);
  }
}
