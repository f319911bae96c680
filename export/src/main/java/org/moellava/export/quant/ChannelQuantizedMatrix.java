package org.moellava.export.quant;

/**
 * A weight matrix {@code W [K, N]} quantized to int8 per output channel ({@link ChannelQuantizer}), in the layout of
 * ONNX's {@code DequantizeLinear(x, x_scale, axis = 1)}: the codes keep W's own shape and order.
 *
 * @param k input features K
 * @param n output features N
 * @param codes {@code [K, N]} row-major signed int8 codes in {@code [-127, 127]}
 * @param scales {@code [N]} fp32, one per column
 */
public record ChannelQuantizedMatrix(int k, int n, byte[] codes, float[] scales) {

  /** The code of {@code W[row, col]}. */
  public int code(int row, int col) {
    return codes[row * n + col];
  }

  /** {@code q * scale[col]} for every element, as {@code [K, N]} row-major (what DequantizeLinear computes). */
  public float[] dequantize() {
    float[] out = new float[k * n];
    for (int row = 0; row < k; row++) {
      for (int col = 0; col < n; col++) out[row * n + col] = codes[row * n + col] * scales[col];
    }
    return out;
  }

  /** Bytes stored: codes and scales. */
  public long storedBytes() {
    return codes.length + 4L * scales.length;
  }
}
