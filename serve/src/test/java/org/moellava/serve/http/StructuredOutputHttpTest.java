package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.parse;
import static org.moellava.serve.http.HttpFixture.question;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/** {@code response_format} through the real server: outputs that validate, streamed or not, and 400s naming keywords. */
class StructuredOutputHttpTest {
  private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
      + "\"maxLength\":10},\"population\":{\"type\":\"integer\"},\"coastal\":{\"type\":\"boolean\"}},"
      + "\"required\":[\"city\",\"population\",\"coastal\"],\"additionalProperties\":false}";
  private static HttpFixture http;

  @BeforeAll
  static void start() {
    http = new HttpFixture(new FakeBackend(1024, false), new EngineConfig(4, 32), HttpFixture.options());
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static String jsonSchema(String schema) {
    return ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"city\",\"strict\":true,"
        + "\"schema\":" + schema + "}}";
  }

  @Test
  void everyChoiceValidatesAgainstTheSchema() throws Exception {
    JsonSchema validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(SCHEMA);
    int stopped = 0;
    for (int seed = 0; seed < 4; seed++) {
      HttpResponse<String> response = http.post(question("a city?", jsonSchema(SCHEMA)
          + ",\"n\":3,\"temperature\":1.2,\"seed\":" + seed + ",\"max_tokens\":120,\"logprobs\":true"));
      assertEquals(200, response.statusCode(), response.body());
      for (JsonNode choice : parse(response.body()).get("choices")) {
        String content = choice.get("message").get("content").asText();
        if (choice.get("finish_reason").asText().equals("stop")) {
          stopped++;
          assertTrue(validator.validate(parse(content)).isEmpty(), content);
        } else {
          assertEquals("length", choice.get("finish_reason").asText());
        }
        assertTrue(choice.get("logprobs").get("content").size() > 0);
      }
    }
    assertTrue(stopped >= 4, "only " + stopped + " of 12 choices completed");
  }

  @Test
  void aStreamedJsonObjectParses() throws Exception {
    HttpResponse<String> response = http.post(question("json", ",\"response_format\":{\"type\":\"json_object\"},"
        + "\"stream\":true,\"temperature\":0,\"max_tokens\":150"));
    assertEquals(200, response.statusCode());
    StringBuilder text = new StringBuilder();
    String finish = null;
    for (String line : response.body().split("\n")) {
      if (!line.startsWith("data: {")) continue;
      JsonNode choice = parse(line.substring(6)).get("choices").get(0);
      JsonNode content = choice.get("delta").get("content");
      if (content != null) text.append(content.asText());
      if (!choice.get("finish_reason").isNull()) finish = choice.get("finish_reason").asText();
    }
    if ("stop".equals(finish)) {
      assertTrue(parse(text.toString()).isObject(), text.toString());
    } else {
      assertEquals("length", finish);
      assertTrue(text.toString().startsWith("{"), text.toString());
    }
  }

  @Test
  void unsupportedKeywordsAndMalformedFormatsAre400sNamingThem() throws Exception {
    for (List<String> c : List.of(
        List.of("{\"type\":\"string\",\"format\":\"date\"}", "response_format.json_schema.schema.format"),
        List.of("{\"type\":\"string\",\"pattern\":\"a+\"}", "response_format.json_schema.schema.pattern"),
        List.of("{\"$ref\":\"#/$defs/a\",\"$defs\":{\"a\":{}}}", "response_format.json_schema.schema.$ref"),
        List.of("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"maximum\":3}}}",
            "response_format.json_schema.schema.properties.n.maximum"),
        List.of("{\"oneOf\":[{\"type\":\"string\"}]}", "response_format.json_schema.schema.oneOf"))) {
      HttpResponse<String> response = http.post(question("hi", jsonSchema(c.get(0))));
      assertEquals(400, response.statusCode(), response.body());
      JsonNode error = parse(response.body()).get("error");
      assertEquals(c.get(1), error.get("param").asText(), response.body());
      assertEquals("unsupported_parameter", error.get("code").asText());
      String keyword = c.get(1).substring(c.get(1).lastIndexOf('.') + 1);
      assertTrue(error.get("message").asText().contains("'" + keyword + "'"), response.body());
    }
    HttpResponse<String> noName = http.post(question("hi", ",\"response_format\":{\"type\":\"json_schema\","
        + "\"json_schema\":{\"schema\":{}}}"));
    assertEquals(400, noName.statusCode());
    assertEquals("response_format.json_schema.name", parse(noName.body()).get("error").get("param").asText());
    HttpResponse<String> badType = http.post(question("hi", ",\"response_format\":{\"type\":\"yaml\"}"));
    assertEquals("response_format.type", parse(badType.body()).get("error").get("param").asText());
  }
}
