package org.moellava.pkg;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;

/**
 * {@code model.json}, the runtime metadata of a model package (docs/architecture.md §3). Written by {@code export},
 * read by every serving backend. The explicit fields duplicate what a runtime needs from {@code config} so that
 * consumers outside the JVM can read them without knowing the project's config schema.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param modelId a name for the model (the checkpoint directory's name by default)
 * @param imageSize square input size in pixels
 * @param imageMean per-channel normalisation mean
 * @param imageStd per-channel normalisation std
 * @param imageAspectMode {@code crop} or {@code pad}
 * @param numImageTokens P, image tokens per image
 * @param imageTokenId id of the image placeholder
 * @param eosTokenId end-of-sequence id
 * @param padTokenId padding id
 * @param systemPrompt the system prompt of the chat template
 * @param chatTemplate the template, {@link #CHAT_TEMPLATE}
 * @param moeLayers indices of the MoE layers
 * @param moeMode {@code standard} (TopK/Gather/ScatterND/MatMul: ONNX Runtime and TensorRT),
 *     {@code ort-fused} ({@code com.microsoft.MoE}, ONNX Runtime only) or {@code dense} (no MoE layers)
 * @param precision {@code fp32} or {@code fp16} (router logits, softmax and top-k stay fp32)
 * @param opset ONNX opset of every file
 * @param files role ({@code vision}, {@code embed}, {@code decoder}, {@code tokenizer}, or an engine name such
 *     as {@code decoder.engine}) to file name, relative to the package directory
 * @param tensorrt the TensorRT optimisation profiles the engines were built with, or null (written as
 *     {@code null}: the strict reader requires every creator property to be present)
 * @param config the full model config
 * @param quantization the blockwise integer weights of a quantized package, or null (not written) for fp32 and fp16
 * @param sha256 package file (relative path) to the SHA-256 of its bytes, every file but {@code model.json}; filled by
 *     {@link PackageManifestIO#write} and checked by {@link PackageManifestIO#read}; null in a manifest being built
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PackageManifest(
    @JsonProperty(value = "format_version", required = true) int formatVersion,
    @JsonProperty(value = "model_id", required = true) String modelId,
    @JsonProperty(value = "image_size", required = true) int imageSize,
    @JsonProperty(value = "image_mean", required = true) List<Double> imageMean,
    @JsonProperty(value = "image_std", required = true) List<Double> imageStd,
    @JsonProperty(value = "image_aspect_mode", required = true) String imageAspectMode,
    @JsonProperty(value = "num_image_tokens", required = true) int numImageTokens,
    @JsonProperty(value = "image_token_id", required = true) int imageTokenId,
    @JsonProperty(value = "eos_token_id", required = true) int eosTokenId,
    @JsonProperty(value = "pad_token_id", required = true) int padTokenId,
    @JsonProperty(value = "system_prompt", required = true) String systemPrompt,
    @JsonProperty(value = "chat_template", required = true) String chatTemplate,
    @JsonProperty(value = "moe_layers", required = true) List<Integer> moeLayers,
    @JsonProperty(value = "moe_mode", required = true) String moeMode,
    @JsonProperty(value = "precision", required = true) String precision,
    @JsonProperty(value = "opset", required = true) int opset,
    @JsonProperty(value = "files", required = true) Map<String, String> files,
    @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty(value = "tensorrt") TensorRtProfiles tensorrt,
    @JsonProperty(value = "config", required = true) ModelConfig config,
    @JsonProperty(value = "quantization") PackageQuantization quantization,
    @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty(value = "sha256") Map<String, String> sha256) {

  /** The current {@code model.json} format. */
  public static final int FORMAT_VERSION = 1;
  /** The chat template every package uses (docs/architecture.md §2). */
  public static final String CHAT_TEMPLATE = "{system} USER: <image>\\n{q} ASSISTANT: {a}{eos}";
  /** File name of the manifest inside a package. */
  public static final String FILE_NAME = "model.json";

  public PackageManifest {
    imageMean = List.copyOf(imageMean);
    imageStd = List.copyOf(imageStd);
    moeLayers = List.copyOf(moeLayers);
    files = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files)); // stable order in model.json
    sha256 = sha256 == null ? null : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(sha256));
  }

  /** A manifest without file hashes yet ({@link PackageManifestIO#write} adds them). */
  public PackageManifest(int formatVersion, String modelId, int imageSize, List<Double> imageMean,
      List<Double> imageStd, String imageAspectMode, int numImageTokens, int imageTokenId, int eosTokenId,
      int padTokenId, String systemPrompt, String chatTemplate, List<Integer> moeLayers, String moeMode,
      String precision, int opset, Map<String, String> files, TensorRtProfiles tensorrt, ModelConfig config) {
    this(formatVersion, modelId, imageSize, imageMean, imageStd, imageAspectMode, numImageTokens, imageTokenId,
        eosTokenId, padTokenId, systemPrompt, chatTemplate, moeLayers, moeMode, precision, opset, files, tensorrt,
        config, null, null);
  }

  /** An unquantized manifest with the given file hashes. */
  public PackageManifest(int formatVersion, String modelId, int imageSize, List<Double> imageMean,
      List<Double> imageStd, String imageAspectMode, int numImageTokens, int imageTokenId, int eosTokenId,
      int padTokenId, String systemPrompt, String chatTemplate, List<Integer> moeLayers, String moeMode,
      String precision, int opset, Map<String, String> files, TensorRtProfiles tensorrt, ModelConfig config,
      Map<String, String> sha256) {
    this(formatVersion, modelId, imageSize, imageMean, imageStd, imageAspectMode, numImageTokens, imageTokenId,
        eosTokenId, padTokenId, systemPrompt, chatTemplate, moeLayers, moeMode, precision, opset, files, tensorrt,
        config, null, sha256);
  }

  /** This manifest with {@code quantization} (null for none). */
  public PackageManifest withQuantization(PackageQuantization q) {
    return new PackageManifest(formatVersion, modelId, imageSize, imageMean, imageStd, imageAspectMode,
        numImageTokens, imageTokenId, eosTokenId, padTokenId, systemPrompt, chatTemplate, moeLayers, moeMode,
        precision, opset, files, tensorrt, config, q, sha256);
  }

  /** Whether the package stores quantized weights. */
  public boolean quantized() {
    return quantization != null;
  }

  /** This manifest with the given file hashes. */
  public PackageManifest withSha256(Map<String, String> hashes) {
    return new PackageManifest(formatVersion, modelId, imageSize, imageMean, imageStd, imageAspectMode,
        numImageTokens, imageTokenId, eosTokenId, padTokenId, systemPrompt, chatTemplate, moeLayers, moeMode,
        precision, opset, files, tensorrt, config, quantization, hashes);
  }

  /**
   * The min/opt/max ranges of TensorRT's optimisation profiles.
   *
   * @param batch min, opt, max batch size
   * @param sequence min, opt, max new tokens per call
   * @param pastSequence min, opt, max past length
   */
  public record TensorRtProfiles(
      @JsonProperty(value = "batch", required = true) List<Integer> batch,
      @JsonProperty(value = "sequence", required = true) List<Integer> sequence,
      @JsonProperty(value = "past_sequence", required = true) List<Integer> pastSequence) {}
}
