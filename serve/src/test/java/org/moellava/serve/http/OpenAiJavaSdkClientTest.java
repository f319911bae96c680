package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/** The official OpenAI Java SDK ({@code com.openai:openai-java}) against the real server on loopback. */
class OpenAiJavaSdkClientTest {
  private static HttpFixture http;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    http = new HttpFixture(new FakeBackend(1024, false), new EngineConfig(4, 32), HttpFixture.options());
    client = OpenAIOkHttpClient.builder().baseUrl(http.uri("/v1").toString()).apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    http.close();
  }

  @Test
  void completionWithLogprobs() {
    ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
        .model("fake-moe").addUserMessage("hi").maxCompletionTokens(4).temperature(0.0).logprobs(true)
        .topLogprobs(2).build());
    ChatCompletion.Choice choice = completion.choices().get(0);
    assertEquals(4, completion.usage().get().completionTokens());
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
    var logprobs = choice.logprobs().get().content().get();
    assertEquals(4, logprobs.size());
    StringBuilder text = new StringBuilder();
    logprobs.forEach(l -> {
      text.append(l.token());
      assertTrue(l.logprob() <= 0);
      assertEquals(2, l.topLogprobs().size());
    });
    assertEquals(choice.message().content().get(), text.toString());
  }

  @Test
  void streamingWithUsage() {
    List<String> deltas = new ArrayList<>();
    long[] usage = {-1};
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
        ChatCompletionCreateParams.builder().model("fake-moe").addUserMessage("hi").maxCompletionTokens(5)
            .temperature(0.0).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build())) {
      stream.stream().forEach(chunk -> {
        chunk.choices().forEach(c -> c.delta().content().ifPresent(deltas::add));
        chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
      });
    }
    assertEquals(5, usage[0]);
    String streamed = String.join("", deltas);
    String whole = client.chat().completions().create(ChatCompletionCreateParams.builder().model("fake-moe")
        .addUserMessage("hi").maxCompletionTokens(5).temperature(0.0).build()).choices().get(0).message().content()
        .get();
    assertEquals(whole, streamed);
  }

  @Test
  void errorsSurfaceAsTheSdksExceptionWithOurMessage() {
    BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
        ChatCompletionCreateParams.builder().model("fake-moe").addUserMessage("hi").temperature(5.0).build()));
    assertEquals(400, e.statusCode());
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
  }
}
