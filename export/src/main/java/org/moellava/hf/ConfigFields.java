package org.moellava.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.moellava.error.ConfigException;

/**
 * Typed reads of the fields of a foreign {@code config.json} (Hugging Face's or MoE-LLaVA's), each failure a
 * {@link ConfigException} naming the file and the field's dotted path ({@code text_config.hidden_size}).
 */
final class ConfigFields {
  private final Path file;

  ConfigFields(Path file) {
    this.file = file;
  }

  /** Throws: the config asks for something the project's model cannot express. */
  void unsupported(String field, String what) {
    throw new ConfigException(file + ": " + field + ": the project cannot express " + what);
  }

  /** The field's value; missing or null is an error. */
  JsonNode value(JsonNode node, String field) {
    JsonNode v = node.get(leaf(field));
    if (v == null || v.isNull()) throw new ConfigException(file + ": missing key '" + field + "'");
    return v;
  }

  /** Whether the field is absent or null. */
  boolean absent(JsonNode node, String field) {
    JsonNode v = node.get(leaf(field));
    return v == null || v.isNull();
  }

  JsonNode object(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isObject()) throw wrongType(field, "an object");
    return v;
  }

  int integer(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer");
    return v.asInt();
  }

  int optionalInt(JsonNode node, String field, int fallback) {
    return absent(node, field) ? fallback : integer(node, field);
  }

  double number(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isNumber()) throw wrongType(field, "a number");
    return v.asDouble();
  }

  String text(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isTextual()) throw wrongType(field, "a string");
    return v.asText();
  }

  String optionalText(JsonNode node, String field, String fallback) {
    return absent(node, field) ? fallback : text(node, field);
  }

  boolean optionalBool(JsonNode node, String field, boolean fallback) {
    if (absent(node, field)) return fallback;
    JsonNode v = value(node, field);
    if (!v.isBoolean()) throw wrongType(field, "true or false");
    return v.asBoolean();
  }

  ConfigException wrongType(String field, String expected) {
    return new ConfigException(file + ": " + field + ": wrong type: expected " + expected);
  }

  /** The last segment of a dotted field path: the key inside its object. */
  static String leaf(String field) {
    return field.substring(field.lastIndexOf('.') + 1);
  }
}
