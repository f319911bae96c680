package org.moellava.export.quant;

import java.util.Set;
import org.moellava.error.InvalidInputException;

/**
 * A weight-only blockwise integer quantization scheme: each weight matrix {@code [K, N]} is cut into blocks of
 * {@code blockSize} consecutive elements along K (the input-feature axis) for every output column, and each block is
 * stored as {@code bits}-bit unsigned codes with one fp32 scale and, unless symmetric, one zero point:
 * {@code w ~ (q - zero_point) * scale}. Symmetric blocks use ONNX Runtime's default zero point {@code 2^(bits-1)}.
 *
 * @param bits 4 or 8
 * @param blockSize 32, 64 or 128 (a power of two; ONNX Runtime's MatMulNBits needs at least 16)
 * @param symmetric true: no stored zero points, {@code scale = max|w| / (2^(bits-1) - 1)}; false: per-block zero
 *     points over {@code [min(w, 0), max(w, 0)]}
 * @param accuracyLevel MatMulNBits' {@code accuracy_level} 0..4 (0 unset: fp32 activations, 4: int8 activations)
 */
public record QuantScheme(int bits, int blockSize, boolean symmetric, int accuracyLevel) {
  /** The block sizes the command line offers. */
  public static final Set<Integer> BLOCK_SIZES = Set.of(32, 64, 128);
  /** Default block size. */
  public static final int DEFAULT_BLOCK_SIZE = 32;

  public QuantScheme {
    if (bits != 4 && bits != 8) throw new InvalidInputException("--quantize: " + bits + " bits is not supported (int4, int8)");
    if (!BLOCK_SIZES.contains(blockSize)) {
      throw new InvalidInputException("--block-size " + blockSize + ": supported block sizes are 32, 64, 128");
    }
    if (accuracyLevel < 0 || accuracyLevel > 4) {
      throw new InvalidInputException("--accuracy-level " + accuracyLevel + ": must be 0..4");
    }
  }

  /** The scheme named on the command line: {@code int8} or {@code int4}. */
  public static QuantScheme parse(String name, int blockSize, boolean symmetric, int accuracyLevel) {
    int bits = switch (name) {
      case "int8" -> 8;
      case "int4" -> 4;
      default -> throw new InvalidInputException("--quantize " + name + ": unknown scheme (int8, int4)");
    };
    return new QuantScheme(bits, blockSize, symmetric, accuracyLevel);
  }

  /**
   * The accuracy level {@code --accuracy-level} defaults to: 4 (int8 activations) for int8, whose MatMulNBits has no
   * fp32-activation kernel on ONNX Runtime 1.29's CPU provider (measured on {@code small}: 1.8 tokens/s at level 0
   * against 54 at level 4 and 16 for fp32), and 0 (fp32 activations) for int4, which has one.
   */
  public static int defaultAccuracyLevel(String name) {
    return "int8".equals(name) ? 4 : 0;
  }

  /** {@code int8} or {@code int4}. */
  public String name() {
    return "int" + bits;
  }

  /** The per-tensor id recorded in {@code model.json}, e.g. {@code int4-b32-sym}. */
  public String id() {
    return name() + "-b" + blockSize + "-" + (symmetric ? "sym" : "asym");
  }

  /** Largest code, {@code 2^bits - 1}. */
  public int maxCode() {
    return (1 << bits) - 1;
  }

  /** The zero point ONNX Runtime assumes when none is stored: {@code 2^(bits-1)}. */
  public int defaultZeroPoint() {
    return 1 << (bits - 1);
  }

  /** Bytes of one packed block: {@code blockSize * bits / 8}. */
  public int blobSize() {
    return blockSize * bits / 8;
  }
}
