package org.moellava.export.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** One input value, float32 or int32, fed by the same name to TF and ONNX Runtime. */
record Feed(String name, long[] shape, float[] floats, int[] ints) {

  static Feed floats(String name, long[] shape, float[] data) {
    return new Feed(name, shape, data, null);
  }

  static Feed ints(String name, long[] shape, int[] data) {
    return new Feed(name, shape, null, data);
  }

  Tensor tfTensor() {
    return floats != null ? TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(floats))
        : TInt32.tensorOf(Shape.of(shape), DataBuffers.of(ints));
  }

  OnnxTensor ortTensor(OrtEnvironment env) throws OrtException {
    return floats != null ? OnnxTensor.createTensor(env, FloatBuffer.wrap(floats), shape)
        : OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
  }
}
