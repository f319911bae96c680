package org.moellava.export.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.export.onnx.proto.ModelProto;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/** Runs a TF graph and an ONNX model on the same feeds and returns their outputs as {@link Arrays2}. */
final class Backends {
  private Backends() {}

  /** Runs {@code fetches} in {@code session}, after the optional {@code initTargets}. */
  static List<Arrays2> runTf(Session session, List<Feed> feeds, List<String> fetches) {
    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Feed f : feeds) {
        Tensor t = f.tfTensor();
        inputs.add(t);
        runner.feed(f.name(), t);
      }
      fetches.forEach(runner::fetch);
      List<Arrays2> out = new ArrayList<>();
      try (Result r = runner.run()) {
        for (int i = 0; i < fetches.size(); i++) out.add(fromTf(r.get(i)));
      }
      return out;
    } finally {
      inputs.forEach(Tensor::close);
    }
  }

  /** Runs {@code graph} in a fresh session (no variables). */
  static List<Arrays2> runTf(Graph graph, List<Feed> feeds, List<String> fetches) {
    try (Session s = new Session(graph)) {
      return runTf(s, feeds, fetches);
    }
  }

  static Arrays2 fromTf(Tensor t) {
    byte[] bytes = new byte[(int) t.numBytes()];
    t.asRawTensor().data().read(bytes);
    return decode(t.shape().asArray(), bytes, t.dataType() == DataType.DT_FLOAT ? "f32"
        : t.dataType() == DataType.DT_INT32 ? "i32" : t.dataType() == DataType.DT_INT64 ? "i64" : "bool");
  }

  /** Runs {@code model} (serialised in memory) in ONNX Runtime and returns {@code outputs} in order. */
  static List<Arrays2> runOrt(ModelProto model, List<Feed> feeds, List<String> outputs) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model.toByteArray(), opts)) {
      return runOrt(env, session, feeds, outputs);
    }
  }

  /** Runs an ONNX model file. */
  static List<Arrays2> runOrt(String path, List<Feed> feeds, List<String> outputs) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(path, opts)) {
      return runOrt(env, session, feeds, outputs);
    }
  }

  private static List<Arrays2> runOrt(OrtEnvironment env, OrtSession session, List<Feed> feeds,
      List<String> outputs) throws OrtException {
    Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
    try {
      for (Feed f : feeds) inputs.put(f.name(), f.ortTensor(env));
      List<Arrays2> out = new ArrayList<>();
      try (OrtSession.Result r = session.run(inputs)) {
        Map<String, OnnxValue> byName = new HashMap<>();
        r.forEach(e -> byName.put(e.getKey(), e.getValue()));
        for (String name : outputs) {
          OnnxTensor t = (OnnxTensor) byName.get(name);
          String kind = switch (t.getInfo().type) {
            case FLOAT -> "f32";
            case INT32 -> "i32";
            case INT64 -> "i64";
            case BOOL -> "bool";
            default -> throw new IllegalStateException("unexpected ORT type " + t.getInfo().type);
          };
          ByteBuffer b = t.getByteBuffer().order(ByteOrder.nativeOrder());
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          out.add(decode(t.getInfo().getShape(), bytes, kind));
        }
      }
      return out;
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static Arrays2 decode(long[] shape, byte[] bytes, String kind) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int width = switch (kind) {
      case "f32", "i32" -> 4;
      case "i64" -> 8;
      default -> 1;
    };
    double[] v = new double[bytes.length / width];
    for (int i = 0; i < v.length; i++) {
      v[i] = switch (kind) {
        case "f32" -> b.getFloat();
        case "i32" -> b.getInt();
        case "i64" -> b.getLong();
        default -> b.get();
      };
    }
    return new Arrays2(shape, v);
  }
}
