package org.moellava.serve.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The automaton on hand-written texts: what each schema must accept and must refuse. */
class JsonAutomatonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static SchemaSpec schema(String json) throws Exception {
    return SchemaCompiler.compile(JSON.readTree(json));
  }

  private static void accepts(SchemaSpec spec, String... texts) {
    for (String t : texts) assertTrue(JsonAutomaton.accepts(spec, t), "should accept: " + t);
  }

  private static void rejects(SchemaSpec spec, String... texts) {
    for (String t : texts) assertFalse(JsonAutomaton.accepts(spec, t), "should reject: " + t);
  }

  /** A prefix that can still be completed (advance never fails) but is not complete. */
  private static void incomplete(SchemaSpec spec, String... texts) {
    for (String t : texts) {
      JsonAutomaton.State s = JsonAutomaton.advance(JsonAutomaton.start(spec), t.getBytes(StandardCharsets.UTF_8));
      assertTrue(s != null && !JsonAutomaton.canEnd(s), "should be a viable, incomplete prefix: " + t);
    }
  }

  @Test
  void jsonObjectModeAcceptsAnyObjectOnly() {
    SchemaSpec any = SchemaCompiler.anyObject();
    accepts(any, "{}", "{\"a\":1}", "{ \"a\": [1, 2.5e-3, \"x\", true, null, {\"b\":{}}] }", "{\"\":-0}",
        " {\"k\":\"\\u00e9\\n\\\"\"}", "{\"é\":\"日本\"}", "{\"a\":{\"a\":{}}}");
    rejects(any, "[]", "\"s\"", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":.5}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":1}x", "{}  ", "{\"a\":1} ", "  {}", "{\"a\":  1}",
        "{\n}", "{\"a\":\"\t\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":+1}", "{'a':1}");
    incomplete(any, "", " ", "{", "{\"a", "{\"a\":", "{\"a\":1", "{\"a\":[1,", "{\"a\":\"\\u00");
  }

  @Test
  void invalidUtf8IsRefusedInsideStrings() {
    SchemaSpec s = new SchemaSpec.StringSpec(0, -1);
    byte[][] bad = {{'"', (byte) 0xc0, (byte) 0x80, '"'}, {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'},
        {'"', (byte) 0xe0, (byte) 0x80, (byte) 0x80, '"'}, {'"', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80,
        '"'}, {'"', (byte) 0x80, '"'}, {'"', (byte) 0xe2, (byte) 0x82, '"'}};
    for (byte[] b : bad) {
      JsonAutomaton.State st = JsonAutomaton.advance(JsonAutomaton.start(s), b);
      assertTrue(st == null || !JsonAutomaton.canEnd(st), "accepted bad UTF-8");
    }
    accepts(s, "\"€😀\"", "\"\\/\\b\\f\\r\\t\\\\\"");
  }

  @Test
  void objectSchemaEnforcesKeysRequiredAndTypes() throws Exception {
    SchemaSpec spec = schema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
        + "\"age\":{\"type\":\"integer\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
        + "\"maxItems\":2}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}");
    accepts(spec, "{\"name\":\"a\",\"age\":3}", "{\"age\":-12,\"name\":\"\"}",
        "{\"name\":\"x\",\"age\":0,\"tags\":[]}", "{ \"name\": \"x\" , \"age\": 7, \"tags\": [\"a\", \"b\"] }");
    rejects(spec, "{\"name\":\"a\"}", "{\"age\":3}", "{\"name\":\"a\",\"age\":3.5}", "{\"name\":1,\"age\":3}",
        "{\"name\":\"a\",\"age\":3,\"x\":1}", "{\"name\":\"a\",\"name\":\"b\",\"age\":3}",
        "{\"name\":\"a\",\"age\":3,\"tags\":[\"a\",\"b\",\"c\"]}", "{\"name\":\"a\",\"age\":1e3}",
        "{\"nam\":\"a\",\"age\":3}", "{\"name\":\"a\",\"age\":3,}");
    incomplete(spec, "{\"name\":\"a\",\"age\":3", "{\"name\":\"a\",\"age\":3,\"tags\":[\"a\",\"b\"]");
  }

  @Test
  void enumConstBooleanNullAndAnyOf() throws Exception {
    SchemaSpec colour = schema("{\"enum\":[\"red\",\"green\",12,null]}");
    accepts(colour, "\"red\"", "\"green\"", "12", "null");
    rejects(colour, "\"blue\"", "\"re\"", "1", "123", "\"red\" ");
    SchemaSpec typedEnum = schema("{\"type\":\"string\",\"enum\":[\"a\",1]}");
    accepts(typedEnum, "\"a\"");
    rejects(typedEnum, "1");
    accepts(schema("{\"const\":{\"a\":[1,2]}}"), "{\"a\":[1,2]}");
    rejects(schema("{\"const\":{\"a\":[1,2]}}"), "{\"a\":[1, 2]}");
    SchemaSpec flag = schema("{\"type\":[\"boolean\",\"null\"]}");
    accepts(flag, "true", "false", "null");
    rejects(flag, "0", "\"true\"", "nul");
    SchemaSpec either = schema("{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\",\"maxLength\":2},"
        + "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}},\"required\":[\"a\"]}]}");
    accepts(either, "5", "\"ab\"", "{\"a\":1.5}");
    rejects(either, "5.5", "\"abc\"", "{}", "[]");
  }

  @Test
  void lengthsAndItemCountsAreCodePointsAndElements() throws Exception {
    SchemaSpec s = schema("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
    accepts(s, "\"ab\"", "\"日本語\"", "\"a\\n\"", "\"😀😀\"");
    rejects(s, "\"a\"", "\"abcd\"", "\"日本語x\"", "\"\"");
    SchemaSpec a = schema("{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1,\"maxItems\":2}");
    accepts(a, "[1]", "[1,2]", "[ 1 , 2 ]");
    rejects(a, "[]", "[1,2,3]");
  }

  @Test
  void numbersHaveBoundedDigits() {
    SchemaSpec n = new SchemaSpec.NumberSpec(false);
    accepts(n, "0", "-0", "123456789012345", "1.5", "1e5", "1E+05", "-2.25e-10");
    rejects(n, "1234567890123456", "1e123", "01", "-", "1e", "1.e5", "--1");
  }

  @Test
  void unsupportedKeywordsAreNamedWithTheirPath() {
    SchemaException e = assertThrows(SchemaException.class, () -> schema("{\"type\":\"object\",\"properties\":"
        + "{\"age\":{\"type\":\"integer\",\"minimum\":0}}}"));
    assertEquals("properties.age.minimum", e.path());
    assertTrue(e.unsupported() && e.getMessage().contains("'minimum'"), e.getMessage());
    assertEquals("$ref", assertThrows(SchemaException.class, () -> schema("{\"$ref\":\"#/$defs/x\"}")).path());
    assertEquals("items.pattern", assertThrows(SchemaException.class,
        () -> schema("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":\"a+\"}}")).path());
    assertEquals("required", assertThrows(SchemaException.class,
        () -> schema("{\"type\":\"object\",\"properties\":{},\"required\":[\"x\"]}")).path());
    assertEquals("minItems", assertThrows(SchemaException.class,
        () -> schema("{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}")).path());
  }

  @Test
  void everyPrefixOfAcceptedTextIsViable() throws Exception {
    JsonNode schema = JSON.readTree("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"array\",\"items\":"
        + "{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"string\"}]}}}}");
    String text = "{\"x\":[1.25,\"é\",-3e2]}";
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    JsonAutomaton.State s = JsonAutomaton.start(SchemaCompiler.compile(schema));
    for (int i = 0; i < bytes.length; i++) {
      s = JsonAutomaton.advance(s, bytes[i] & 0xff);
      assertTrue(s != null, "rejected at byte " + i);
      assertEquals(i == bytes.length - 1, JsonAutomaton.canEnd(s), "complete at byte " + i);
    }
  }
}
