package org.moellava.pkg;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.moellava.error.InvalidInputException;

/**
 * {@code model.json}'s optional {@code quantization}: a package whose weights are stored blockwise in integers
 * (weight-only; activations, routers and norms stay fp32, and the token embedding unless {@code tensors} names it:
 * {@code moellava export --quantize-embeddings}). Absent for an fp32 or fp16 package.
 *
 * @param scheme {@code int8} or {@code int4}
 * @param bits 8 or 4, as the scheme says
 * @param blockSize elements per block along the input axis K: a power of two, at least 16; or
 *     {@value #PER_CHANNEL}: one block spans the whole K of each matrix, i.e. one scale per output channel (only with
 *     {@code format} {@code qdq})
 * @param symmetric true when no zero points are stored (ONNX Runtime's default zero point {@code 2^(bits-1)}; for
 *     {@code qdq}, signed codes with zero point 0)
 * @param accuracyLevel {@code com.microsoft.MatMulNBits}' {@code accuracy_level}, 0..4 (0 for {@code qdq})
 * @param tensors every quantized variable (naming contract of the checkpoint) to its scheme id,
 *     {@code int<bits>-b<block>-<sym|asym>}, e.g. {@code int4-b32-sym}, or {@value #PER_CHANNEL_ID}
 * @param format how the ONNX files hold the weights: absent (null) or {@code qoperator} for the
 *     {@code com.microsoft} ops (MatMulNBits, QMoE, GatherBlockQuantized), {@code qdq} for default-domain
 *     {@code DequantizeLinear -> MatMul} (int8 per channel, TensorRT-parsable)
 */
public record PackageQuantization(
    @JsonProperty(value = "scheme", required = true) String scheme,
    @JsonProperty(value = "bits", required = true) int bits,
    @JsonProperty(value = "block_size", required = true) int blockSize,
    @JsonProperty(value = "symmetric", required = true) boolean symmetric,
    @JsonProperty(value = "accuracy_level", required = true) int accuracyLevel,
    @JsonProperty(value = "tensors", required = true) Map<String, String> tensors,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty(value = "format") String format) {

  /** The scheme names. */
  public static final Set<String> SCHEMES = Set.of("int8", "int4");
  /** {@code format} of a package of {@code com.microsoft} ops (also what an absent {@code format} means). */
  public static final String QOPERATOR = "qoperator";
  /** {@code format} of a package of {@code DequantizeLinear -> MatMul}. */
  public static final String QDQ = "qdq";
  /** {@code block_size} of per-output-channel scales. */
  public static final int PER_CHANNEL = 0;
  /** The tensor scheme id of int8 per output channel in DequantizeLinear form. */
  public static final String PER_CHANNEL_ID = "int8-channel-sym-qdq";
  private static final Pattern TENSOR_SCHEME = Pattern.compile("int(4|8)-b(\\d+)-(sym|asym)");

  public PackageQuantization {
    tensors = tensors == null ? null : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(tensors));
  }

  /** A {@code qoperator} package (no {@code format} written). */
  public PackageQuantization(String scheme, int bits, int blockSize, boolean symmetric, int accuracyLevel,
      Map<String, String> tensors) {
    this(scheme, bits, blockSize, symmetric, accuracyLevel, tensors, null);
  }

  /** The package-wide scheme id, e.g. {@code int4-b32-sym}, or {@value #PER_CHANNEL_ID}. */
  public String id() {
    if (perChannel()) return PER_CHANNEL_ID;
    return scheme + "-b" + blockSize + "-" + (symmetric ? "sym" : "asym");
  }

  /** Whether each matrix has one scale per output channel ({@code block_size} {@value #PER_CHANNEL}). */
  public boolean perChannel() {
    return blockSize == PER_CHANNEL;
  }

  /** {@code qoperator} or {@code qdq}. */
  public String effectiveFormat() {
    return format == null ? QOPERATOR : format;
  }

  /**
   * The scales (and zero points) a quantized matrix of {@code shape} stores: one per block of K, or per channel one
   * per column N. The matrix is the last two axes {@code [..., K, N]} (stacked experts {@code [E, K, N]}).
   */
  public long scaleCount(long[] shape) {
    long elements = 1;
    for (long d : shape) elements *= d;
    if (!perChannel()) return elements / blockSize;
    if (shape.length < 2) throw new IllegalArgumentException("a quantized matrix has at least 2 axes");
    return elements / shape[shape.length - 2];
  }

  /** Bytes a quantized matrix of {@code shape} stores: codes, fp32 scales and, unless symmetric, zero points. */
  public double storedBytes(long[] shape) {
    long elements = 1;
    for (long d : shape) elements *= d;
    return elements * bits / 8.0 + scaleCount(shape) * (Float.BYTES + (symmetric ? 0 : bits / 8.0));
  }

  /** Bytes per weight of a matrix with {@code k} input features: {@code bits / 8} plus its share of the scales. */
  public double bytesPerWeight(int k) {
    return bits / 8.0 + (double) Float.BYTES / (perChannel() ? k : blockSize);
  }

  /** Checks every field; a problem names {@code file} and the field. */
  void check(Path file, String precision) {
    if (!SCHEMES.contains(scheme)) fail(file, "scheme", "'" + scheme + "' is not one of " + SCHEMES);
    if (bits != Integer.parseInt(scheme.substring(3))) fail(file, "bits", bits + " does not fit scheme " + scheme);
    String f = effectiveFormat();
    if (!f.equals(QOPERATOR) && !f.equals(QDQ)) fail(file, "format", "'" + format + "' is not qoperator or qdq");
    if (f.equals(QDQ)) {
      if (blockSize != PER_CHANNEL || bits != 8 || !symmetric || accuracyLevel != 0) {
        fail(file, "block_size", blockSize + " with format qdq: qdq packages are int8, symmetric, block_size "
            + PER_CHANNEL + " (per channel), accuracy_level 0");
      }
    } else if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
      fail(file, "block_size", blockSize + " is not a power of two >= 16" + (blockSize == PER_CHANNEL
          ? " (block_size 0, per channel, needs format qdq)" : ""));
    }
    if (accuracyLevel < 0 || accuracyLevel > 4) fail(file, "accuracy_level", accuracyLevel + " is not 0..4");
    if (!"fp32".equals(precision)) fail(file, "scheme", "needs precision fp32, got " + precision);
    if (tensors == null || tensors.isEmpty()) fail(file, "tensors", "names no quantized tensor");
    for (Map.Entry<String, String> e : tensors.entrySet()) {
      if (PER_CHANNEL_ID.equals(e.getValue()) && f.equals(QDQ)) continue;
      Matcher m = TENSOR_SCHEME.matcher(String.valueOf(e.getValue()));
      if (!m.matches() || Integer.parseInt(m.group(2)) < 16 || Integer.bitCount(Integer.parseInt(m.group(2))) != 1) {
        fail(file, "tensors." + e.getKey(), "'" + e.getValue() + "' is not a scheme id like int4-b32-sym");
      }
    }
    if (!tensors.containsValue(id())) fail(file, "tensors", "has no tensor of the package scheme " + id());
  }

  private static void fail(Path file, String field, String what) {
    throw new InvalidInputException(file + ": quantization." + field + " " + what);
  }
}
