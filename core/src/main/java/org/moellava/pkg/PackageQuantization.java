package org.moellava.pkg;

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
 * @param blockSize elements per block along the input axis K: a power of two, at least 16
 * @param symmetric true when no zero points are stored (ONNX Runtime's default zero point {@code 2^(bits-1)})
 * @param accuracyLevel {@code com.microsoft.MatMulNBits}' {@code accuracy_level}, 0..4
 * @param tensors every quantized variable (naming contract of the checkpoint) to its scheme id,
 *     {@code int<bits>-b<block>-<sym|asym>}, e.g. {@code int4-b32-sym}
 */
public record PackageQuantization(
    @JsonProperty(value = "scheme", required = true) String scheme,
    @JsonProperty(value = "bits", required = true) int bits,
    @JsonProperty(value = "block_size", required = true) int blockSize,
    @JsonProperty(value = "symmetric", required = true) boolean symmetric,
    @JsonProperty(value = "accuracy_level", required = true) int accuracyLevel,
    @JsonProperty(value = "tensors", required = true) Map<String, String> tensors) {

  /** The scheme names. */
  public static final Set<String> SCHEMES = Set.of("int8", "int4");
  private static final Pattern TENSOR_SCHEME = Pattern.compile("int(4|8)-b(\\d+)-(sym|asym)");

  public PackageQuantization {
    tensors = tensors == null ? null : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(tensors));
  }

  /** The package-wide scheme id, e.g. {@code int4-b32-sym}. */
  public String id() {
    return scheme + "-b" + blockSize + "-" + (symmetric ? "sym" : "asym");
  }

  /** Checks every field; a problem names {@code file} and the field. */
  void check(Path file, String precision) {
    if (!SCHEMES.contains(scheme)) fail(file, "scheme", "'" + scheme + "' is not one of " + SCHEMES);
    if (bits != Integer.parseInt(scheme.substring(3))) fail(file, "bits", bits + " does not fit scheme " + scheme);
    if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
      fail(file, "block_size", blockSize + " is not a power of two >= 16");
    }
    if (accuracyLevel < 0 || accuracyLevel > 4) fail(file, "accuracy_level", accuracyLevel + " is not 0..4");
    if (!"fp32".equals(precision)) fail(file, "scheme", "needs precision fp32, got " + precision);
    if (tensors == null || tensors.isEmpty()) fail(file, "tensors", "names no quantized tensor");
    for (Map.Entry<String, String> e : tensors.entrySet()) {
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
