package org.moellava.export.quant;

/**
 * A weight matrix {@code W [K, N]} (TF kernel layout: {@code y = x·W}) quantized blockwise along K, in the layout of
 * ONNX Runtime's {@code com.microsoft.MatMulNBits}: column n's K values form {@code K / blockSize} blocks, each packed
 * into {@code blobSize} bytes (4 bits: element 2j in the low nibble of byte j, element 2j+1 in the high nibble; 8
 * bits: one byte each).
 *
 * @param scheme how it was quantized
 * @param k input features K (a multiple of the block size)
 * @param n output features N
 * @param packed {@code [N, K / blockSize, blobSize]} uint8 codes
 * @param scales {@code [N, K / blockSize]} fp32
 * @param zeroPoints null for a symmetric scheme (zero point {@code 2^(bits-1)}); else {@code [N, ceil(kBlocks *
 *     bits / 8)]} uint8, packed like the codes (4 bits: block 2j low nibble, 2j+1 high nibble)
 */
public record QuantizedMatrix(QuantScheme scheme, int k, int n, byte[] packed, float[] scales, byte[] zeroPoints) {

  /** Blocks per column, {@code K / blockSize}. */
  public int kBlocks() {
    return k / scheme.blockSize();
  }

  /** Bytes of zero points per column. */
  public int zeroPointRowBytes() {
    return (kBlocks() * scheme.bits() + 7) / 8;
  }

  /** The code of {@code W[row, col]}. */
  public int code(int row, int col) {
    int bs = scheme.blockSize();
    int block = row / bs;
    int j = row % bs;
    int base = (col * kBlocks() + block) * scheme.blobSize();
    if (scheme.bits() == 8) return packed[base + j] & 0xff;
    int b = packed[base + j / 2] & 0xff;
    return (j % 2 == 0) ? b & 0x0f : b >>> 4;
  }

  /** The zero point of block {@code block} of column {@code col}. */
  public int zeroPoint(int col, int block) {
    if (zeroPoints == null) return scheme.defaultZeroPoint();
    int row = col * zeroPointRowBytes();
    if (scheme.bits() == 8) return zeroPoints[row + block] & 0xff;
    int b = zeroPoints[row + block / 2] & 0xff;
    return (block % 2 == 0) ? b & 0x0f : b >>> 4;
  }

  /** The scale of block {@code block} of column {@code col}. */
  public float scale(int col, int block) {
    return scales[col * kBlocks() + block];
  }

  /** {@code (q - zero_point) * scale} for every element, as {@code [K, N]} row-major. */
  public float[] dequantize() {
    float[] out = new float[k * n];
    int bs = scheme.blockSize();
    for (int col = 0; col < n; col++) {
      for (int row = 0; row < k; row++) {
        int block = row / bs;
        out[row * n + col] = (code(row, col) - zeroPoint(col, block)) * scale(col, block);
      }
    }
    return out;
  }

  /** Bytes stored: codes, scales and zero points. */
  public long storedBytes() {
    return packed.length + 4L * scales.length + (zeroPoints == null ? 0 : zeroPoints.length);
  }
}
