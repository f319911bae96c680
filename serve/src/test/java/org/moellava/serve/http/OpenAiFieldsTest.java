package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.parse;
import static org.moellava.serve.http.HttpFixture.question;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.Tensors;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import org.moellava.serve.prompt.ChatTemplate;

/**
 * The request fields of OpenAI's Chat Completions API over the fake backend: each honoured field has its effect, each
 * refused one is a 400 naming it, the ignored ones are accepted, and the model name is checked.
 */
@Timeout(60)
class OpenAiFieldsTest {
  private static HttpFixture http;

  @BeforeAll
  static void start() {
    http = new HttpFixture(new FakeBackend(), new EngineConfig(4, 32), HttpFixture.options());
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @Test
  void logitBiasOfPlus100ForcesTheTokenAndMinus100RemovesIt() throws Exception {
    String greedy = content(ok(question("hi", ",\"max_tokens\":6,\"temperature\":0")));
    int forced = FakeTokenizer.idOf('Q');
    assertNotEquals("QQQQQQ", greedy);
    String biased = content(ok(question("hi", ",\"max_tokens\":6,\"temperature\":0,\"logit_bias\":{\"" + forced
        + "\":100}")));
    assertEquals("QQQQQQ", biased);
    // sampling too: +100 leaves no room for another token
    assertEquals("QQQQQQ", content(ok(question("hi", ",\"max_tokens\":6,\"temperature\":1.5,\"seed\":3,"
        + "\"logit_bias\":{\"" + forced + "\":100}"))));
    char first = greedy.charAt(0);
    String without = content(ok(question("hi", ",\"max_tokens\":6,\"temperature\":0,\"logit_bias\":{\""
        + FakeTokenizer.idOf(first) + "\":-100}")));
    assertNotEquals(first, without.charAt(0), "-100 takes the greedy token out");
    assertBadRequest(question("hi", ",\"logit_bias\":{\"99\":1}"), "logit_bias"); // vocabulary is [0, 99)
    assertBadRequest(question("hi", ",\"logit_bias\":{\"-1\":1}"), "logit_bias");
    assertBadRequest(question("hi", ",\"logit_bias\":{\"abc\":1}"), "logit_bias");
    assertBadRequest(question("hi", ",\"logit_bias\":{\"5\":101}"), "logit_bias");
    assertBadRequest(question("hi", ",\"logit_bias\":{\"" + FakeBackend.IMAGE + "\":5}"), "logit_bias");
    assertBadRequest(question("hi", ",\"logit_bias\":[5]"), "logit_bias");
  }

  @Test
  void presenceAndFrequencyPenaltiesChangeARepeatedGreedyChoice() throws Exception {
    String greedy = content(ok(question("hi", ",\"max_tokens\":16,\"temperature\":0")));
    assertTrue(hasRepeat(greedy), "the fake model repeats itself greedily: " + greedy);
    for (String penalty : List.of("presence_penalty", "frequency_penalty")) {
      String penalised = content(ok(question("hi", ",\"max_tokens\":16,\"temperature\":0,\"" + penalty + "\":2")));
      assertEquals(greedy.charAt(0), penalised.charAt(0), penalty + ": nothing generated yet, nothing penalised");
      assertNotEquals(greedy, penalised, penalty);
      assertTrue(distinct(penalised) > distinct(greedy), penalty + ": " + greedy + " -> " + penalised);
      // a negative penalty favours repeats
      String negative = content(ok(question("hi", ",\"max_tokens\":16,\"temperature\":0,\"" + penalty + "\":-2")));
      assertTrue(distinct(negative) <= distinct(greedy), penalty + " -2: " + greedy + " -> " + negative);
      assertBadRequest(question("hi", ",\"" + penalty + "\":2.5"), penalty);
      assertBadRequest(question("hi", ",\"" + penalty + "\":\"high\""), penalty);
    }
  }

  @Test
  void logprobsAreTheLogSoftmaxOfTheModelsLogitsInCompletionsAndChunks() throws Exception {
    int[] prompt = new FakeTokenizer().encode(ChatTemplate.DEFAULT_SYSTEM + " USER: hi ASSISTANT:");
    // temperature and top_k do not change them: they are the model's own distribution
    String params = ",\"max_tokens\":6,\"temperature\":0.7,\"top_k\":5,\"seed\":11,\"logprobs\":true,\"top_logprobs\":4";
    JsonNode body = ok(question("hi", params));
    JsonNode content = body.get("choices").get(0).get("logprobs").get("content");
    assertEquals(6, content.size());
    List<Integer> generated = new ArrayList<>();
    for (JsonNode entry : content) {
      assertEquals(1, entry.get("token").asText().length(), entry.toString());
      generated.add(FakeTokenizer.idOf(entry.get("token").asText().charAt(0)));
    }
    StringBuilder joined = new StringBuilder();
    content.forEach(entry -> joined.append(entry.get("token").asText()));
    assertEquals(content(body), joined.toString());
    double[][] expected = referenceLogSoftmax(prompt, generated);
    for (int j = 0; j < generated.size(); j++) {
      JsonNode entry = content.get(j);
      assertEquals(expected[j][generated.get(j)], entry.get("logprob").asDouble(), 1e-4, "token " + j);
      assertEquals(List.of((int) entry.get("token").asText().charAt(0)), toList(entry.get("bytes")));
      JsonNode top = entry.get("top_logprobs");
      assertEquals(4, top.size());
      int[] order = argsortDescending(expected[j]);
      for (int k = 0; k < 4; k++) {
        assertEquals(decodeOne(order[k]), top.get(k).get("token").asText(), "token " + j + " top " + k);
        assertEquals(expected[j][order[k]], top.get(k).get("logprob").asDouble(), 1e-4);
      }
    }
    // the same values in stream chunks, one token per chunk
    String sse = http.post(question("hi", params + ",\"stream\":true")).body();
    List<JsonNode> streamed = new ArrayList<>();
    for (JsonNode chunk : chunks(sse)) {
      JsonNode choice = chunk.get("choices").get(0);
      if (choice.hasNonNull("logprobs")) {
        choice.get("logprobs").get("content").forEach(streamed::add);
      }
    }
    assertEquals(6, streamed.size());
    for (int j = 0; j < 6; j++) {
      assertEquals(content.get(j).toString(), streamed.get(j).toString());
    }
    // logprobs without alternatives; top_logprobs alone or out of range is a 400
    JsonNode plain = ok(question("hi", ",\"max_tokens\":2,\"logprobs\":true")).get("choices").get(0);
    assertEquals(0, plain.get("logprobs").get("content").get(0).get("top_logprobs").size());
    assertTrue(ok(question("hi", ",\"max_tokens\":2")).get("choices").get(0).get("logprobs").isNull());
    assertBadRequest(question("hi", ",\"top_logprobs\":3"), "top_logprobs");
    assertBadRequest(question("hi", ",\"logprobs\":true,\"top_logprobs\":21"), "top_logprobs");
  }

  @Test
  void theEndOfSequenceTokenHasNoLogprobsEntry() throws Exception {
    int promptTokens = (ChatTemplate.DEFAULT_SYSTEM + " USER: hi ASSISTANT:").length();
    // the logits at position p pick token p + 1: eos dominates from the second generated token's position on
    try (HttpFixture eos = new HttpFixture(new FakeBackend().eosAtPosition(promptTokens + 1), new EngineConfig(2, 4),
        HttpFixture.options())) {
      String params = ",\"max_tokens\":8,\"temperature\":0,\"logprobs\":true";
      JsonNode body = parse(eos.post(question("hi", params)).body());
      JsonNode choice = body.get("choices").get(0);
      assertEquals("stop", choice.get("finish_reason").asText());
      assertEquals(3, body.get("usage").get("completion_tokens").asInt(), "two tokens and eos");
      assertEquals(2, choice.get("logprobs").get("content").size());
      int streamed = 0;
      for (JsonNode chunk : chunks(eos.post(question("hi", params + ",\"stream\":true")).body())) {
        JsonNode logprobs = chunk.get("choices").get(0).get("logprobs");
        if (logprobs != null && !logprobs.isNull()) streamed += logprobs.get("content").size();
      }
      assertEquals(2, streamed);
    }
  }

  @Test
  void nChoicesAreSampledWithSeedsSeedToSeedPlusNMinus1() throws Exception {
    String params = ",\"max_tokens\":8,\"temperature\":1.2,\"seed\":7";
    JsonNode body = ok(question("hi", params + ",\"n\":3"));
    JsonNode choices = body.get("choices");
    assertEquals(3, choices.size());
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      assertEquals(i, choices.get(i).get("index").asInt());
      String alone = content(ok(question("hi", ",\"max_tokens\":8,\"temperature\":1.2,\"seed\":" + (7 + i))));
      assertEquals(alone, choices.get(i).get("message").get("content").asText(), "choice " + i);
      distinct.add(alone);
    }
    assertTrue(distinct.size() > 1, "different seeds, different answers: " + distinct);
    int promptTokens = (ChatTemplate.DEFAULT_SYSTEM + " USER: hi ASSISTANT:").length();
    assertEquals(promptTokens, body.get("usage").get("prompt_tokens").asInt(), "the prompt counts once");
    assertEquals(24, body.get("usage").get("completion_tokens").asInt());
    // streamed: every chunk names its choice; each choice's text adds up to the non-streamed one
    String sse = http.post(question("hi", params + ",\"n\":3,\"stream\":true,\"stream_options\":"
        + "{\"include_usage\":true}")).body();
    StringBuilder[] texts = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
    int[] roles = new int[3];
    int[] finishes = new int[3];
    JsonNode usage = null;
    for (JsonNode chunk : chunks(sse)) {
      if (chunk.hasNonNull("usage")) {
        usage = chunk.get("usage");
        continue;
      }
      JsonNode choice = chunk.get("choices").get(0);
      int index = choice.get("index").asInt();
      if (choice.get("delta").has("role")) roles[index]++;
      if (choice.get("delta").has("content")) texts[index].append(choice.get("delta").get("content").asText());
      if (!choice.get("finish_reason").isNull()) finishes[index]++;
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(1, roles[i]);
      assertEquals(1, finishes[i]);
      assertEquals(choices.get(i).get("message").get("content").asText(), texts[i].toString(), "choice " + i);
    }
    assertNotNull(usage);
    assertEquals(24, usage.get("completion_tokens").asInt());
    assertBadRequest(question("hi", ",\"n\":5"), "n"); // --max-n 4
    assertBadRequest(question("hi", ",\"n\":0"), "n");
  }

  @Test
  void stopStringsAndArraysCutTheAnswer() throws Exception {
    String whole = content(ok(question("hi", ",\"max_tokens\":16,\"temperature\":0")));
    String stop = whole.substring(5, 7);
    int at = whole.indexOf(stop);
    JsonNode one = ok(question("hi", ",\"max_tokens\":16,\"temperature\":0,\"stop\":" + HttpFixture.quote(stop)));
    assertEquals(whole.substring(0, at), content(one));
    assertEquals("stop", one.get("choices").get(0).get("finish_reason").asText());
    String earlier = whole.substring(2, 3);
    int earlierAt = whole.indexOf(earlier);
    JsonNode array = ok(question("hi", ",\"max_tokens\":16,\"temperature\":0,\"stop\":[\"@@never@@\","
        + HttpFixture.quote(stop) + "," + HttpFixture.quote(earlier) + "]"));
    assertEquals(whole.substring(0, Math.min(at, earlierAt)), content(array), "the first stop found cuts");
    assertBadRequest(question("hi", ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), "stop");
    assertBadRequest(question("hi", ",\"stop\":[1]"), "stop");
  }

  @Test
  void maxCompletionTokensIsMaxTokens() throws Exception {
    JsonNode body = ok(question("hi", ",\"max_completion_tokens\":5,\"temperature\":0"));
    assertEquals(5, body.get("usage").get("completion_tokens").asInt());
    assertEquals("length", body.get("choices").get(0).get("finish_reason").asText());
    assertEquals(3, ok(question("hi", ",\"max_completion_tokens\":3,\"max_tokens\":3")).get("usage")
        .get("completion_tokens").asInt());
    assertBadRequest(question("hi", ",\"max_completion_tokens\":3,\"max_tokens\":4"), "max_completion_tokens");
    assertBadRequest(question("hi", ",\"max_completion_tokens\":0"), "max_completion_tokens");
  }

  @Test
  void seedMakesSamplingRepeatable() throws Exception {
    String params = ",\"max_tokens\":10,\"temperature\":1.3,\"seed\":";
    assertEquals(content(ok(question("hi", params + "42"))), content(ok(question("hi", params + "42"))));
    Set<String> answers = new HashSet<>();
    for (int seed = 0; seed < 4; seed++) {
      answers.add(content(ok(question("hi", params + seed))));
    }
    assertTrue(answers.size() > 1, answers.toString());
  }

  /** Every refused field, in each place, is a 400 whose param names it; the list comes from {@link ChatField}. */
  @Test
  void everyRefusedFieldIsA400NamingIt() throws Exception {
    List<String> refused = new ArrayList<>();
    for (ChatField field : ChatField.values()) {
      if (field.handling() != ChatField.Handling.REFUSED) continue;
      refused.add(field.path());
      String value = "{\"type\":\"function\"}";
      switch (field.scope()) {
        case REQUEST -> assertRefused(question("hi", ",\"" + field.key() + "\":" + value), field.key());
        case STREAM_OPTIONS -> assertRefused(question("hi", ",\"stream\":true,\"stream_options\":{\"" + field.key()
            + "\":" + value + "}"), "stream_options." + field.key());
        case MESSAGE -> assertRefused("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"" + field.key()
            + "\":" + value + "},{\"role\":\"user\",\"content\":\"hi\"}]}", "messages[0]." + field.key());
        default -> throw new AssertionError(field.scope());
      }
    }
    assertTrue(refused.containsAll(List.of("tools", "tool_choice", "functions", "function_call", "audio",
        "prediction", "web_search_options", "parallel_tool_calls", "messages[].tool_calls")), refused.toString());
    // a refused field given null is absent
    ok(question("hi", ",\"tools\":null,\"tool_choice\":null,\"max_tokens\":1"));
    // the values a default-only field refuses
    assertRefused(question("hi", ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
        + "\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0}}}}}"),
        "response_format.json_schema.schema.properties.a.minimum");
    assertRefused(question("hi", ",\"modalities\":[\"text\",\"audio\"]"), "modalities");
    ok(question("hi", ",\"response_format\":{\"type\":\"text\"},\"modalities\":[\"text\"],\"max_tokens\":1"));
    // roles that need tools
    for (String role : List.of("tool", "function")) {
      assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"" + role + "\",\"content\":"
          + "\"42\",\"tool_call_id\":\"c1\"}]}", "messages[1].role");
    }
    // unknown fields, as OpenAI: 400 naming them
    JsonNode unknown = assertBadRequest(question("hi", ",\"min_p\":0.1"), "min_p");
    assertEquals("unknown_parameter", unknown.get("code").asText());
    assertBadRequest(question("hi", ",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":true}"),
        "stream_options.continuous_usage_stats");
    assertBadRequest("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"mood\":\"calm\"}]}", "messages[0].mood");
    assertBadRequest(question("hi", ",\"stream_options\":{\"include_usage\":true}"), "stream_options");
  }

  @Test
  void ignoredFieldsAreAcceptedWithTheirTypesChecked() throws Exception {
    String extra = ",\"max_tokens\":2,\"user\":\"u-1\",\"safety_identifier\":\"s\",\"metadata\":{\"k\":\"v\"},"
        + "\"store\":false,\"service_tier\":\"auto\",\"prompt_cache_key\":\"p\",\"prompt_cache_retention\":\"24h\","
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false}";
    HttpResponse<String> response = http.post(question("hi", extra));
    assertEquals(200, response.statusCode(), response.body());
    ok("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"name\":\"bot\",\"refusal\":null},"
        + "{\"role\":\"user\",\"content\":\"hi\",\"name\":\"ann\"}],\"max_tokens\":1}");
    for (ChatField field : ChatField.values()) {
      if (field.handling() == ChatField.Handling.IGNORED && field.scope() == ChatField.Scope.REQUEST) {
        assertBadRequest(question("hi", ",\"" + field.key() + "\":[1]"), field.key());
      }
    }
  }

  @Test
  void developerMessagesAreSystemMessages() throws Exception {
    JsonNode body = ok("{\"messages\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}");
    assertEquals("Be brief. USER: hi ASSISTANT:".length(), body.get("usage").get("prompt_tokens").asInt(),
        "the developer message replaced the default system prompt");
    JsonNode system = ok("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"temperature\":0}");
    JsonNode developer = ok("{\"messages\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"temperature\":0}");
    assertEquals(content(system), content(developer));
  }

  @Test
  void theModelMustBeAServedName() throws Exception {
    assertEquals("fake-moe", ok(question("hi", ",\"model\":\"fake-moe\",\"max_tokens\":1")).get("model").asText());
    assertEquals("fake-moe", ok(question("hi", ",\"max_tokens\":1")).get("model").asText(), "absent: the default");
    HttpResponse<String> wrong = http.post(question("hi", ",\"model\":\"gpt-4o\""));
    assertEquals(404, wrong.statusCode(), wrong.body());
    JsonNode error = parse(wrong.body()).get("error");
    assertEquals("model_not_found", error.get("code").asText());
    assertEquals("model", error.get("param").asText());
    assertTrue(error.get("message").asText().contains("gpt-4o"), error.toString());
    assertBadRequest(question("hi", ",\"model\":7"), "model");
  }

  @Test
  void servedModelNamesAreAliases() throws Exception {
    try (HttpFixture named = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4),
        HttpFixture.options().withServedModelNames(List.of("moe-llava", "llava")))) {
      for (String name : List.of("moe-llava", "llava")) {
        HttpResponse<String> response = named.post(question("hi", ",\"model\":\"" + name + "\",\"max_tokens\":1"));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("moe-llava", parse(response.body()).get("model").asText(), "answers carry the first name");
      }
      assertEquals(404, named.post(question("hi", ",\"model\":\"fake-moe\"")).statusCode(),
          "the model id is not served when names are given");
      JsonNode models = parse(named.get("/v1/models").body()).get("data");
      assertEquals(2, models.size());
      assertEquals("moe-llava", models.get(0).get("id").asText());
      assertEquals("llava", models.get(1).get("id").asText());
      assertEquals("fake-moe", models.get(1).get("root").asText());
      assertEquals("moe-llava", parse(named.get("/health").body()).get("model").asText());
    }
  }

  // ---- helpers

  private static double[][] referenceLogSoftmax(int[] prompt, List<Integer> generated) {
    FakeBackend model = new FakeBackend(); // a fresh model: nothing shared with the server's
    int t = prompt.length + generated.size() - 1;
    long[] ids = new long[t];
    long[] mask = new long[t];
    long[] positions = new long[t];
    for (int i = 0; i < t; i++) {
      ids[i] = i < prompt.length ? prompt[i] : generated.get(i - prompt.length);
      mask[i] = 1;
      positions[i] = i;
    }
    DecoderOutput out = model.decode(new DecoderInput(1, t, 0, model.embed(Tensors.longsOf(ids), 1, t, null),
        Tensors.longsOf(mask), Tensors.longsOf(positions), Collections.nCopies(FakeBackend.LAYERS, Tensors.floats(0)),
        Collections.nCopies(FakeBackend.LAYERS, Tensors.floats(0))));
    double[][] result = new double[generated.size()][FakeBackend.VOCAB];
    for (int j = 0; j < generated.size(); j++) {
      int row = (prompt.length - 1 + j) * FakeBackend.VOCAB; // the logits at position p predict token p + 1
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < FakeBackend.VOCAB; v++) max = Math.max(max, out.logits().get(row + v));
      double sum = 0;
      for (int v = 0; v < FakeBackend.VOCAB; v++) sum += Math.exp(out.logits().get(row + v) - max);
      for (int v = 0; v < FakeBackend.VOCAB; v++) result[j][v] = out.logits().get(row + v) - max - Math.log(sum);
    }
    return result;
  }

  private static int[] argsortDescending(double[] values) {
    return java.util.stream.IntStream.range(0, values.length).boxed()
        .sorted((a, b) -> values[a] != values[b] ? Double.compare(values[b], values[a]) : Integer.compare(a, b))
        .mapToInt(Integer::intValue).toArray();
  }

  private static String decodeOne(int id) {
    return new FakeTokenizer().decode(new int[] {id}, 1);
  }

  private static List<Integer> toList(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  private static boolean hasRepeat(String s) {
    return distinct(s) < s.length();
  }

  private static int distinct(String s) {
    return (int) s.chars().distinct().count();
  }

  static List<JsonNode> chunks(String sse) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String event : sse.split("\n\n")) {
      if (event.isBlank() || event.startsWith(":")) continue;
      assertTrue(event.startsWith("data: "), event);
      String data = event.substring(6);
      if (!data.equals("[DONE]")) out.add(parse(data));
    }
    return out;
  }

  private static JsonNode ok(String body) throws Exception {
    HttpResponse<String> response = http.post(body);
    assertEquals(200, response.statusCode(), body + " -> " + response.body());
    return parse(response.body());
  }

  private static String content(JsonNode completion) {
    return completion.get("choices").get(0).get("message").get("content").asText();
  }

  private static void assertRefused(String body, String param) throws Exception {
    JsonNode error = assertBadRequest(body, param);
    assertEquals("unsupported_parameter", error.get("code").asText(), error.toString());
    assertTrue(error.get("message").asText().contains("not supported"), error.toString());
  }

  private static JsonNode assertBadRequest(String body, String param) throws Exception {
    HttpResponse<String> response = http.post(body);
    assertEquals(400, response.statusCode(), body + " -> " + response.body());
    JsonNode error = parse(response.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
    assertFalse(error.get("message").asText().isBlank());
    return error;
  }
}
