package org.moellava.pkg;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.error.InvalidInputException;

/**
 * Every value of {@code model.json} checked against the model config it carries (from which the graphs were
 * exported), so an impossible value is refused at load with the field's name instead of failing later: an
 * {@code eos_token_id} outside the vocabulary never stops, a wrong {@code num_image_tokens} fails every image request,
 * {@code image_size} 0 is an internal error.
 */
final class PackageManifestChecks {
  private static final Set<String> MOE_MODES = Set.of("standard", "ort-fused", "dense");
  private static final Set<String> PRECISIONS = Set.of("fp32", "fp16");
  private static final Set<String> ASPECT_MODES = Set.of("crop", "pad");

  private PackageManifestChecks() {}

  static void check(PackageManifest m, Path file) {
    ModelConfig c = m.config();
    TextConfig t = c.textConfig();
    int vocab = t.vocabSize();
    equal(file, "image_size", m.imageSize(), c.visionConfig().imageSize());
    equal(file, "num_image_tokens", m.numImageTokens(), c.visionConfig().numPatches());
    equal(file, "image_token_id", m.imageTokenId(), c.imageTokenIndex());
    equal(file, "eos_token_id", m.eosTokenId(), t.eosTokenId());
    equal(file, "pad_token_id", m.padTokenId(), t.padTokenId());
    tokenId(file, "image_token_id", m.imageTokenId(), vocab);
    tokenId(file, "eos_token_id", m.eosTokenId(), vocab);
    tokenId(file, "pad_token_id", m.padTokenId(), vocab);
    if (!m.imageMean().equals(c.imageMean()) || !m.imageStd().equals(c.imageStd())) {
      fail(file, "image_mean / image_std", "differ from the config's " + c.imageMean() + " / " + c.imageStd());
    }
    for (double std : m.imageStd()) {
      if (!(std > 0)) fail(file, "image_std", "must be positive, got " + m.imageStd());
    }
    oneOf(file, "image_aspect_mode", m.imageAspectMode(), ASPECT_MODES);
    if (!m.imageAspectMode().equals(c.imageAspectMode())) {
      fail(file, "image_aspect_mode", "'" + m.imageAspectMode() + "' differs from the config's '"
          + c.imageAspectMode() + "'");
    }
    List<Integer> moeLayers = t.moeLayers().resolve(t.numHiddenLayers());
    if (!m.moeLayers().equals(moeLayers)) {
      fail(file, "moe_layers", m.moeLayers() + " differs from the config's " + moeLayers);
    }
    oneOf(file, "moe_mode", m.moeMode(), MOE_MODES);
    if (moeLayers.isEmpty() != m.moeMode().equals("dense")) {
      fail(file, "moe_mode", "'" + m.moeMode() + "' does not fit " + moeLayers.size() + " MoE layers");
    }
    oneOf(file, "precision", m.precision(), PRECISIONS);
    if (m.opset() < 17 || m.opset() > 21) fail(file, "opset", "must be 17..21, got " + m.opset());
    if (!PackageManifest.CHAT_TEMPLATE.equals(m.chatTemplate())) {
      fail(file, "chat_template", "is not the template this version renders: " + PackageManifest.CHAT_TEMPLATE);
    }
    if (m.quantization() != null) m.quantization().check(file, m.precision());
    for (String role : List.of("vision", "embed", "decoder")) {
      if (!m.files().containsKey(role)) fail(file, "files", "has no '" + role + "' entry");
    }
  }

  private static void equal(Path file, String field, int value, int expected) {
    if (value != expected) fail(file, field, value + " differs from the model config's " + expected);
  }

  private static void tokenId(Path file, String field, int id, int vocab) {
    if (id < 0 || id >= vocab) fail(file, field, id + " is outside the vocabulary [0, " + vocab + ")");
  }

  private static void oneOf(Path file, String field, String value, Set<String> allowed) {
    if (!allowed.contains(value)) fail(file, field, "'" + value + "' is not one of " + allowed);
  }

  private static void fail(Path file, String field, String what) {
    throw new InvalidInputException(file + ": " + field + " " + what);
  }
}
