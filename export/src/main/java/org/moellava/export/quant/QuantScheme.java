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
  /**
   * The block size of the per-output-channel scheme ({@link #int8PerChannel}): one block spans the whole input axis
   * K of each column, so one scale per output channel.
   */
  public static final int PER_CHANNEL = 0;
  /** The block sizes the command line offers. */
  public static final Set<Integer> BLOCK_SIZES = Set.of(32, 64, 128);
  /** Default block size. */
  public static final int DEFAULT_BLOCK_SIZE = 32;

  public QuantScheme {
    if (blockSize == PER_CHANNEL) {
      if (bits != 8 || !symmetric || accuracyLevel != 0) {
        throw new InvalidInputException("per-channel quantization is int8, symmetric, without an accuracy level; got "
            + "int" + bits + (symmetric ? "" : " asymmetric") + " accuracy level " + accuracyLevel);
      }
    } else {
      if (bits != 4 && bits != 8) {
        throw new InvalidInputException("--quantize: " + bits + " bits is not supported (int4, int8)");
      }
      if (!BLOCK_SIZES.contains(blockSize)) {
        throw new InvalidInputException("--block-size " + blockSize + ": supported block sizes are 32, 64, 128");
      }
      if (accuracyLevel < 0 || accuracyLevel > 4) {
        throw new InvalidInputException("--accuracy-level " + accuracyLevel + ": must be 0..4");
      }
    }
  }

  /**
   * Symmetric int8 with one fp32 scale per output channel (column N of {@code W [K, N]}), codes signed in
   * {@code [-127, 127]} with zero point 0: the weights of {@code --quant-format qdq}
   * ({@link ChannelQuantizer}, {@link QdqNodes}).
   */
  public static QuantScheme int8PerChannel() {
    return new QuantScheme(8, PER_CHANNEL, true, 0);
  }

  /** Whether one scale covers a whole column ({@link #int8PerChannel}) rather than a block of it. */
  public boolean perChannel() {
    return blockSize == PER_CHANNEL;
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

  /**
   * The per-tensor id recorded in {@code model.json}, e.g. {@code int4-b32-sym}; {@code int8-channel-sym-qdq} for
   * the per-channel scheme (written only as DequantizeLinear).
   */
  public String id() {
    if (perChannel()) return "int8-channel-sym-qdq";
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
