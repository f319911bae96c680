package org.moellava.config;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.stream.Collectors;
import org.moellava.error.ConfigException;
import org.moellava.io.AtomicFiles;

/** Reads and writes {@code config.json}. Reading is strict: unknown keys, wrong types and missing keys fail. */
public final class ModelConfigIO {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private ModelConfigIO() {}

  /** Reads and validates a config file. */
  public static ModelConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": config file not found");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read config file: " + JsonErrors.describe(e), e);
    }
    return parse(text, file.toString());
  }

  /** Parses and validates config JSON; {@code source} names it in error messages. */
  public static ModelConfig parse(String json, String source) {
    ModelConfig config;
    try {
      JsonNode tree = MAPPER.readTree(json);
      withArchitectureDefaults(tree);
      config = MAPPER.treeToValue(tree, ModelConfig.class);
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof ConfigException ce) {
        throw new ConfigException(source + ": " + ce.getMessage(), ce);
      }
      throw new ConfigException(source + ": " + fieldPath(e) + ": " + firstLine(e.getOriginalMessage()), e);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(source + ": unknown key '" + fieldPath(e) + "'", e);
    } catch (InvalidFormatException e) {
      throw new ConfigException(source + ": " + fieldPath(e) + ": wrong type: expected "
          + typeName(e.getTargetType()) + ", got " + e.getValue(), e);
    } catch (MismatchedInputException e) {
      String msg = e.getOriginalMessage();
      if (msg != null && msg.startsWith("Missing required creator property")) {
        throw new ConfigException(source + ": missing key '" + fieldPath(e) + "'", e);
      }
      throw new ConfigException(source + ": " + fieldPath(e) + ": wrong type: expected "
          + typeName(e.getTargetType()), e);
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof ConfigException ce) {
        throw new ConfigException(source + ": " + ce.getMessage(), ce);
      }
      throw new ConfigException(source + ": " + fieldPath(e) + ": " + firstLine(e.getOriginalMessage()), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": invalid JSON at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + firstLine(e.getOriginalMessage()), e);
    }
    return ConfigValidator.validate(config, source);
  }

  /**
   * Gives the {@code text_config} of a config tree the architecture fields it leaves out: those of its
   * {@code decoder_style} ({@code qwen2_moe} when that is absent too), so configs written before the fields existed
   * (checkpoints, packages' {@code model.json}) read unchanged. A {@code decoder_style} that is not a known name is
   * left for the mapper to report. Likewise a {@code vision_config} without {@code vision_style} is {@code clip},
   * and a {@code text_config} without {@code min_capacity} has 0 (no floor).
   * Anything that is not a config object is left as it is.
   */
  public static void withArchitectureDefaults(JsonNode root) {
    if (root != null && root.get("vision_config") instanceof ObjectNode vision && !vision.has("vision_style")) {
      vision.put("vision_style", VisionStyle.CLIP.id());
    }
    if (root == null || !(root.get("text_config") instanceof ObjectNode text)) return;
    if (!text.has("min_capacity")) text.put("min_capacity", 0);
    DecoderStyle style = DecoderStyle.QWEN2_MOE;
    JsonNode given = text.get("decoder_style");
    if (given != null) {
      if (!given.isTextual()) return;
      try {
        style = DecoderStyle.parse(given.asText());
      } catch (ConfigException e) {
        return;
      }
    } else {
      text.put("decoder_style", style.id());
    }
    for (Map.Entry<String, Object> f : style.defaults().fields().entrySet()) {
      if (text.has(f.getKey())) continue;
      Object v = f.getValue();
      if (v instanceof Boolean b) text.put(f.getKey(), b);
      else if (v instanceof Double d) text.put(f.getKey(), d);
      else text.put(f.getKey(), v instanceof NormType n ? n.id() : ((MlpType) v).id());
    }
  }

  /** The config as pretty-printed JSON. */
  public static String toJson(ModelConfig config) {
    try {
      return MAPPER.writeValueAsString(config) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise config", e);
    }
  }

  /** Writes {@code config.json} atomically (temporary file, then rename). */
  public static void write(ModelConfig config, Path file) {
    AtomicFiles.writeString(file, toJson(config));
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String typeName(Class<?> type) {
    if (type == null) return "another type";
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "an integer";
    if (type == double.class || type == Double.class || type == float.class) return "a number";
    if (type == boolean.class || type == Boolean.class) return "true or false";
    if (type == String.class) return "a string";
    if (java.util.List.class.isAssignableFrom(type)) return "a list";
    return "an object";
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
