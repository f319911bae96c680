package org.moellava.runtime.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/**
 * The inputs of one session call. Integer inputs ({@code input_ids}, {@code attention_mask},
 * {@code position_ids}) take the element type the model declares ({@code OrtSession.getInputInfo}): int64 wraps
 * the caller's buffer in place, int32 narrows into a reused direct buffer. Float inputs wrap the caller's direct
 * buffer in place. Every tensor made is closed by {@link #close()}.
 */
final class OrtInputs implements AutoCloseable {
  private final OrtEnvironment env;
  private final Map<String, OnnxJavaType> types;
  private final Map<String, IntBuffer> narrowed;
  private final Map<String, OnnxTensor> tensors = new HashMap<>();

  /** The element types of {@code session}'s inputs, read once per session. */
  static Map<String, OnnxJavaType> inputTypes(OrtSession session, String file) {
    try {
      Map<String, OnnxJavaType> types = new HashMap<>();
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        if (!(e.getValue().getInfo() instanceof TensorInfo info)) {
          throw new InvalidInputException(file + ": input '" + e.getKey() + "' is not a tensor");
        }
        types.put(e.getKey(), info.type);
      }
      return Map.copyOf(types);
    } catch (OrtException e) {
      throw new InvalidInputException(file + ": cannot read the model's inputs: " + e.getMessage(), e);
    }
  }

  /** Checks that {@code file} declares each of {@code names} as an input. */
  static void requireInputs(Map<String, OnnxJavaType> types, String file, List<String> names) {
    for (String name : names) {
      if (!types.containsKey(name)) {
        throw new InvalidInputException(file + ": has no input '" + name + "' (inputs: " + types.keySet() + ")");
      }
    }
  }

  OrtInputs(OrtEnvironment env, Map<String, OnnxJavaType> types, Map<String, IntBuffer> narrowScratch) {
    this.env = env;
    this.types = types;
    this.narrowed = narrowScratch;
  }

  /** A float input over {@code buffer} (no copy). */
  OrtInputs floats(String name, FloatBuffer buffer, long... shape) throws OrtException {
    OnnxJavaType type = types.get(name);
    if (type != OnnxJavaType.FLOAT) {
      throw new InvalidInputException("model input '" + name + "' is " + type + ", expected FLOAT");
    }
    tensors.put(name, OnnxTensor.createTensor(env, buffer, shape));
    return this;
  }

  /** An integer input: in place for int64, narrowed for int32. */
  OrtInputs ints(String name, LongBuffer buffer, long... shape) throws OrtException {
    OnnxJavaType type = types.get(name);
    if (type == OnnxJavaType.INT64) {
      tensors.put(name, OnnxTensor.createTensor(env, buffer, shape));
    } else if (type == OnnxJavaType.INT32) {
      tensors.put(name, OnnxTensor.createTensor(env, narrow(name, buffer), shape));
    } else {
      throw new InvalidInputException("model input '" + name + "' is " + type + ", expected INT64 or INT32");
    }
    return this;
  }

  private IntBuffer narrow(String name, LongBuffer values) {
    int n = values.remaining();
    IntBuffer scratch = narrowed.get(name);
    if (scratch == null || scratch.capacity() < n) {
      scratch = ByteBuffer.allocateDirect(Math.max(n, 16) * Integer.BYTES * 2).order(ByteOrder.nativeOrder())
          .asIntBuffer();
      narrowed.put(name, scratch);
    }
    IntBuffer out = scratch.duplicate().position(0).limit(n).slice();
    for (int i = 0; i < n; i++) {
      out.put(i, Math.toIntExact(values.get(values.position() + i)));
    }
    return out;
  }

  /** The tensors by input name. */
  Map<String, OnnxTensor> map() {
    return tensors;
  }

  @Override
  public void close() {
    tensors.values().forEach(OnnxTensor::close);
    tensors.clear();
  }
}
