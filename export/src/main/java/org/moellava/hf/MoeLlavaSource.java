package org.moellava.hf;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/**
 * What an imported MoE-LLaVA checkpoint was, kept beside the checkpoint ({@value #FILE}) so that
 * {@link MoeLlavaExporter} writes it back bit for bit: the original {@code config.json}, each tensor's dtype and file,
 * each file's safetensors metadata, whether the tower was in the checkpoint, and the tokenizer files (kept as
 * {@value #TOKENIZER_PREFIX}{@code <name>}).
 *
 * @param formatVersion {@value #FORMAT_VERSION}
 * @param family the {@code model_type}
 * @param config the original {@code config.json}
 * @param towerInCheckpoint whether the vision tower's weights were in the checkpoint (else from {@code --vision})
 * @param sharded whether the weights were shards with {@code model.safetensors.index.json}
 * @param dtypes tensor key to safetensors dtype (F32, F16, BF16)
 * @param files tensor key to file name
 * @param fileMetadata file name to its {@code __metadata__}
 * @param tokenizerFiles the tokenizer files kept
 */
record MoeLlavaSource(
    @JsonProperty(value = "format_version", required = true) int formatVersion,
    @JsonProperty(value = "family", required = true) String family,
    @JsonProperty(value = "config", required = true) JsonNode config,
    @JsonProperty(value = "tower_in_checkpoint", required = true) boolean towerInCheckpoint,
    @JsonProperty(value = "sharded", required = true) boolean sharded,
    @JsonProperty(value = "dtypes", required = true) Map<String, String> dtypes,
    @JsonProperty(value = "files", required = true) Map<String, String> files,
    @JsonProperty(value = "file_metadata", required = true) Map<String, Map<String, String>> fileMetadata,
    @JsonProperty(value = "tokenizer_files", required = true) List<String> tokenizerFiles) {

  /** The checkpoint file holding it. */
  static final String FILE = "moellava_source.json";
  /** Prefix of the kept tokenizer files in the checkpoint. */
  static final String TOKENIZER_PREFIX = "moellava_source.";
  static final int FORMAT_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  byte[] toBytes() {
    try {
      return (JSON.writeValueAsString(this) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + FILE, e);
    }
  }

  static MoeLlavaSource parse(byte[] bytes, String where) {
    try {
      MoeLlavaSource s = JSON.readValue(bytes, MoeLlavaSource.class);
      if (s.formatVersion() != FORMAT_VERSION) {
        throw new InvalidInputException(where + ": format_version " + s.formatVersion() + " is not supported");
      }
      return s;
    } catch (IOException e) {
      throw new InvalidInputException(where + ": corrupt " + FILE + ": " + e.getMessage(), e);
    }
  }
}
