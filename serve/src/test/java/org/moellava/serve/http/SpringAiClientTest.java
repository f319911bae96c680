package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;

/**
 * Spring AI's {@code OpenAiChatModel} (spring-ai-openai 2.0.1), built with its builder and no Spring context, against
 * the real server on loopback: a plain call, a stream, and structured output with the schema Spring AI's
 * {@code BeanOutputConverter} derives from a record (written out: the converter needs a newer Jackson).
 */
class SpringAiClientTest {
  private static HttpFixture http;

  /** What the structured-output call asks for. */
  record City(String name, int population, boolean coastal) {}

  @BeforeAll
  static void start() {
    http = new HttpFixture(new FakeBackend(1024, false), new EngineConfig(4, 32), HttpFixture.options());
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static OpenAiChatModel model(int maxTokens, OpenAiChatModel.ResponseFormat format) {
    OpenAiChatOptions.Builder options = OpenAiChatOptions.builder().baseUrl(http.uri("/v1").toString())
        .apiKey("unused").model("fake-moe").temperature(0.0).maxTokens(maxTokens);
    if (format != null) options.responseFormat(format);
    return OpenAiChatModel.builder().options(options.build()).build();
  }

  @Test
  void callAndStreamGiveTheSameText() {
    OpenAiChatModel model = model(6, null);
    ChatResponse response = model.call(new Prompt("hi"));
    String text = response.getResult().getOutput().getText();
    assertEquals(6, response.getMetadata().getUsage().getCompletionTokens());
    List<ChatResponse> chunks = model.stream(new Prompt("hi")).collectList().block();
    StringBuilder streamed = new StringBuilder();
    for (ChatResponse chunk : chunks) {
      if (chunk.getResult() != null && chunk.getResult().getOutput().getText() != null) {
        streamed.append(chunk.getResult().getOutput().getText());
      }
    }
    assertEquals(text, streamed.toString());
  }

  @Test
  void beanOutputConverterSchemaIsEnforced() throws Exception {
    // the schema BeanOutputConverter<City> derives (its output for this record, written out: the converter itself
    // needs jackson-annotations 2.20's JsonSerializeAs, and this build pins Jackson 2.18.2)
    String schema = "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
        + "\"properties\":{\"coastal\":{\"type\":\"boolean\"},\"name\":{\"type\":\"string\"},"
        + "\"population\":{\"type\":\"integer\"}},\"required\":[\"coastal\",\"name\",\"population\"],"
        + "\"additionalProperties\":false}";
    OpenAiChatModel model = model(200, OpenAiChatModel.ResponseFormat.builder()
        .type(OpenAiChatModel.ResponseFormat.Type.JSON_SCHEMA).jsonSchema(schema).strict(true).build());
    ChatResponse response = model.call(new Prompt("a city"));
    String text = response.getResult().getOutput().getText();
    String finish = response.getResult().getMetadata().getFinishReason();
    if ("STOP".equalsIgnoreCase(finish)) {
      var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
      assertTrue(validator.validate(HttpFixture.parse(text)).isEmpty(), text);
      City city = new com.fasterxml.jackson.databind.ObjectMapper().readValue(text, City.class);
      assertTrue(city.name() != null, text);
    } else {
      assertEquals("LENGTH", finish.toUpperCase(), finish);
      assertTrue(text.strip().startsWith("{"), text);
    }
  }
}
