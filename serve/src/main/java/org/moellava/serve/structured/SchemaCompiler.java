package org.moellava.serve.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the supported subset of JSON Schema to a {@link SchemaSpec}:
 *
 * <ul>
 *   <li>{@code type}: {@code object}, {@code array}, {@code string}, {@code number}, {@code integer},
 *       {@code boolean}, {@code null}, or a list of them;
 *   <li>objects: {@code properties} (at most 64), {@code required} (each a declared property),
 *       {@code additionalProperties} {@code false}, {@code true} or absent (the output then still holds only declared
 *       properties, which the schema allows); with no {@code properties} and {@code additionalProperties} not false,
 *       any keys and values;
 *   <li>arrays: {@code items} (a schema; absent: any value), {@code minItems}, {@code maxItems};
 *   <li>strings: {@code minLength}, {@code maxLength} (code points);
 *   <li>{@code enum}, {@code const} (the values that also satisfy the rest of the schema);
 *   <li>{@code anyOf} (with annotations only beside it);
 *   <li>annotations, accepted and without effect: {@code title}, {@code description}, {@code $comment},
 *       {@code examples}, {@code default}, {@code deprecated}, {@code readOnly}, {@code writeOnly}, {@code $schema},
 *       {@code $id}.
 * </ul>
 *
 * Any other keyword ({@code minimum}, {@code pattern}, {@code format}, {@code $ref}, {@code oneOf}, ...) is refused
 * with a {@link SchemaException} naming it; so is a schema nested deeper than {@value #MAX_DEPTH} levels.
 * A schema without {@code type} is read by its keywords (properties: an object; items: an array; lengths: a string;
 * none: any value).
 */
public final class SchemaCompiler {
  /** Deepest nesting of schemas (and of free-form values under {@code json_object}). */
  public static final int MAX_DEPTH = 32;
  /** Nesting of containers allowed in a free-form value ({@code json_object}, an object without properties). */
  public static final int FREE_DEPTH = 16;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$comment", "examples", "default",
      "deprecated", "readOnly", "writeOnly", "$schema", "$id");
  private static final Set<String> OBJECT_KEYWORDS = Set.of("properties", "required", "additionalProperties");
  private static final Set<String> ARRAY_KEYWORDS = Set.of("items", "minItems", "maxItems");
  private static final Set<String> STRING_KEYWORDS = Set.of("minLength", "maxLength");
  private static final Set<String> KEYWORDS = Set.of("type", "enum", "const", "anyOf", "properties", "required",
      "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength");
  /** The supported keywords, as error messages list them. */
  public static final String SUPPORTED = "type, properties, required, additionalProperties, items, minItems, maxItems, "
      + "minLength, maxLength, enum, const, anyOf, and the annotations title, description, $comment, examples, "
      + "default, deprecated, readOnly, writeOnly, $schema, $id";

  private SchemaCompiler() {}

  /** The spec of {@code json_object}: any JSON object. */
  public static SchemaSpec anyObject() {
    return SchemaSpec.ObjectSpec.free(FREE_DEPTH);
  }

  /** Compiles {@code schema}. @throws SchemaException naming the keyword or value it cannot enforce */
  public static SchemaSpec compile(JsonNode schema) {
    return compile(schema, "", 0);
  }

  private static SchemaSpec compile(JsonNode schema, String path, int depth) {
    if (depth > MAX_DEPTH) {
      throw new SchemaException(path, "the schema is nested deeper than " + MAX_DEPTH + " levels");
    }
    if (schema.isBoolean() && schema.booleanValue()) {
      return new SchemaSpec.AnyValue(FREE_DEPTH);
    }
    if (!schema.isObject()) {
      throw new SchemaException(path, "a schema must be a JSON object" + (schema.isBoolean() ? " (false accepts no"
          + " value)" : ", got " + schema.getNodeType().toString().toLowerCase()));
    }
    for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
      String keyword = it.next();
      if (!KEYWORDS.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
        throw new SchemaException(at(path, keyword), "JSON Schema keyword '" + keyword + "' is not supported by "
            + "structured output (supported: " + SUPPORTED + ")", true);
      }
    }
    if (schema.has("anyOf")) {
      return anyOf(schema, path, depth);
    }
    List<String> types = types(schema, path);
    SchemaSpec typed;
    if (types.size() == 1) {
      typed = ofType(types.get(0), schema, path, depth);
    } else {
      List<SchemaSpec> alternatives = new ArrayList<>();
      for (String type : types) {
        alternatives.add(ofType(type, schema, path, depth));
      }
      typed = new SchemaSpec.AnyOfSpec(alternatives);
    }
    if (schema.has("const") || schema.has("enum")) {
      return literals(schema, typed, path);
    }
    return typed;
  }

  private static SchemaSpec anyOf(JsonNode schema, String path, int depth) {
    for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
      String keyword = it.next();
      if (!keyword.equals("anyOf") && !ANNOTATIONS.contains(keyword)) {
        throw new SchemaException(at(path, keyword), "'" + keyword + "' beside 'anyOf' is not supported by "
            + "structured output; put it inside each alternative", true);
      }
    }
    JsonNode list = schema.get("anyOf");
    if (!list.isArray() || list.isEmpty()) {
      throw new SchemaException(at(path, "anyOf"), "anyOf must be a non-empty array of schemas");
    }
    List<SchemaSpec> alternatives = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      alternatives.add(compile(list.get(i), at(path, "anyOf") + "." + i, depth + 1));
    }
    return alternatives.size() == 1 ? alternatives.get(0) : new SchemaSpec.AnyOfSpec(alternatives);
  }

  /** The declared types, or the one the keywords imply ("any" when none does). */
  private static List<String> types(JsonNode schema, String path) {
    JsonNode type = schema.get("type");
    if (type == null) {
      if (hasAny(schema, OBJECT_KEYWORDS)) return List.of("object");
      if (hasAny(schema, ARRAY_KEYWORDS)) return List.of("array");
      if (hasAny(schema, STRING_KEYWORDS)) return List.of("string");
      return List.of("any");
    }
    List<String> types = new ArrayList<>();
    if (type.isTextual()) {
      types.add(type.textValue());
    } else if (type.isArray() && !type.isEmpty()) {
      for (JsonNode t : type) {
        if (!t.isTextual()) {
          throw new SchemaException(at(path, "type"), "type must be a string or an array of strings");
        }
        if (!types.contains(t.textValue())) types.add(t.textValue());
      }
    } else {
      throw new SchemaException(at(path, "type"), "type must be a string or a non-empty array of strings");
    }
    for (String t : types) {
      if (!Set.of("object", "array", "string", "number", "integer", "boolean", "null").contains(t)) {
        throw new SchemaException(at(path, "type"), "unknown type '" + t + "' (object, array, string, number, "
            + "integer, boolean, null)");
      }
    }
    return types;
  }

  private static SchemaSpec ofType(String type, JsonNode schema, String path, int depth) {
    switch (type) {
      case "any":
        return new SchemaSpec.AnyValue(FREE_DEPTH);
      case "object":
        return object(schema, path, depth);
      case "array": {
        JsonNode items = schema.get("items");
        SchemaSpec itemSpec = items == null ? new SchemaSpec.AnyValue(FREE_DEPTH)
            : compile(items, at(path, "items"), depth + 1);
        int min = count(schema, "minItems", path, 0);
        int max = count(schema, "maxItems", path, -1);
        if (max >= 0 && min > max) {
          throw new SchemaException(at(path, "minItems"), "minItems " + min + " is above maxItems " + max);
        }
        return new SchemaSpec.ArraySpec(itemSpec, min, max);
      }
      case "string": {
        int min = count(schema, "minLength", path, 0);
        int max = count(schema, "maxLength", path, -1);
        if (max >= 0 && min > max) {
          throw new SchemaException(at(path, "minLength"), "minLength " + min + " is above maxLength " + max);
        }
        return new SchemaSpec.StringSpec(min, max);
      }
      case "number":
        return new SchemaSpec.NumberSpec(false);
      case "integer":
        return new SchemaSpec.NumberSpec(true);
      case "boolean":
        return new SchemaSpec.LiteralSpec(List.of(ascii("true"), ascii("false")));
      case "null":
        return new SchemaSpec.LiteralSpec(List.of(ascii("null")));
      default:
        throw new IllegalStateException(type);
    }
  }

  private static SchemaSpec object(JsonNode schema, String path, int depth) {
    JsonNode properties = schema.get("properties");
    JsonNode additional = schema.get("additionalProperties");
    if (additional != null && !additional.isBoolean()) {
      throw new SchemaException(at(path, "additionalProperties"), "additionalProperties must be true or false "
          + "(a schema for additional properties is not supported by structured output)", true);
    }
    boolean closed = additional != null && !additional.booleanValue();
    if (properties != null && !properties.isObject()) {
      throw new SchemaException(at(path, "properties"), "properties must be an object of schemas");
    }
    Map<String, SchemaSpec.Property> declared = new LinkedHashMap<>();
    if (properties != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        SchemaSpec value = compile(e.getValue(), at(at(path, "properties"), e.getKey()), depth + 1);
        declared.put(e.getKey(), new SchemaSpec.Property(e.getKey(), quoted(e.getKey()), value));
      }
    }
    if (declared.size() > SchemaSpec.ObjectSpec.MAX_PROPERTIES) {
      throw new SchemaException(at(path, "properties"), "at most " + SchemaSpec.ObjectSpec.MAX_PROPERTIES
          + " properties per object are supported, got " + declared.size(), true);
    }
    List<String> names = new ArrayList<>(declared.keySet());
    long required = 0;
    JsonNode req = schema.get("required");
    if (req != null) {
      if (!req.isArray()) {
        throw new SchemaException(at(path, "required"), "required must be an array of property names");
      }
      for (JsonNode r : req) {
        int i = r.isTextual() ? names.indexOf(r.textValue()) : -1;
        if (i < 0) {
          throw new SchemaException(at(path, "required"), "required property " + r + " is not in properties "
              + "(structured output generates declared properties only)");
        }
        required |= 1L << i;
      }
    }
    boolean free = declared.isEmpty() && !closed;
    return new SchemaSpec.ObjectSpec(new ArrayList<>(declared.values()), required, free, FREE_DEPTH);
  }

  /** {@code enum}/{@code const} values that also satisfy the rest of the schema ({@code typed}). */
  private static SchemaSpec literals(JsonNode schema, SchemaSpec typed, String path) {
    List<JsonNode> values = new ArrayList<>();
    String keyword = schema.has("const") ? "const" : "enum";
    if (schema.has("const")) {
      values.add(schema.get("const"));
    }
    if (schema.has("enum")) {
      JsonNode list = schema.get("enum");
      if (!list.isArray() || list.isEmpty()) {
        throw new SchemaException(at(path, "enum"), "enum must be a non-empty array");
      }
      if (schema.has("const")) {
        throw new SchemaException(at(path, "enum"), "enum beside const is not supported by structured output", true);
      }
      list.forEach(values::add);
    }
    List<byte[]> literals = new ArrayList<>();
    for (JsonNode v : values) {
      byte[] text = compact(v);
      if (JsonAutomaton.accepts(typed, new String(text, StandardCharsets.UTF_8))) {
        literals.add(text);
      }
    }
    if (literals.isEmpty()) {
      throw new SchemaException(at(path, keyword), "no " + keyword + " value satisfies the rest of the schema");
    }
    return new SchemaSpec.LiteralSpec(literals);
  }

  private static int count(JsonNode schema, String keyword, String path, int absent) {
    JsonNode v = schema.get(keyword);
    if (v == null) return absent;
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
      throw new SchemaException(at(path, keyword), keyword + " must be a non-negative integer, got " + v);
    }
    return v.intValue();
  }

  private static boolean hasAny(JsonNode schema, Set<String> keywords) {
    for (String k : keywords) {
      if (schema.has(k)) return true;
    }
    return false;
  }

  private static String at(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] quoted(String key) {
    return compact(JSON.getNodeFactory().textNode(key));
  }

  /** Compact JSON with non-ASCII characters as UTF-8 (Jackson's default), as the automaton accepts it. */
  private static byte[] compact(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
