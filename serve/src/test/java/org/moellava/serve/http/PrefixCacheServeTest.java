package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/** {@code usage.prompt_tokens_details.cached_tokens}: what the prefix cache saved, in answers and streams. */
@Timeout(60)
class PrefixCacheServeTest {
  private static final String QUESTION = "Please describe, in a few careful words, everything this picture shows.";

  @Test
  void aRepeatedConversationReportsItsCachedTokens() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4, 1 << 20),
        HttpFixture.options())) {
      JsonNode first = usage(http.post(HttpFixture.question(QUESTION, ",\"max_tokens\":4")));
      JsonNode second = usage(http.post(HttpFixture.question(QUESTION, ",\"max_tokens\":4")));
      assertEquals(0, first.at("/prompt_tokens_details/cached_tokens").asInt(), first.toString());
      int prompt = second.get("prompt_tokens").asInt();
      int cached = second.at("/prompt_tokens_details/cached_tokens").asInt();
      assertEquals((prompt - 1) / 16 * 16, cached, second.toString());
      HttpResponse<String> stream = http.post(HttpFixture.question(QUESTION,
          ",\"max_tokens\":4,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
      assertEquals(200, stream.statusCode());
      JsonNode streamed = null;
      for (String line : stream.body().split("\n")) {
        if (line.startsWith("data: {") && line.contains("\"usage\":{")) {
          streamed = HttpFixture.JSON.readTree(line.substring(6)).get("usage");
        }
      }
      assertTrue(streamed != null, stream.body());
      assertEquals(cached, streamed.at("/prompt_tokens_details/cached_tokens").asInt(), streamed.toString());
    }
  }

  @Test
  void withoutTheCacheNothingIsCached() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4), HttpFixture.options())) {
      http.post(HttpFixture.question(QUESTION, ",\"max_tokens\":4"));
      JsonNode again = usage(http.post(HttpFixture.question(QUESTION, ",\"max_tokens\":4")));
      assertEquals(0, again.at("/prompt_tokens_details/cached_tokens").asInt(), again.toString());
    }
  }

  private static JsonNode usage(HttpResponse<String> response) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    return HttpFixture.JSON.readTree(response.body()).get("usage");
  }
}
