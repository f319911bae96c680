package org.moellava.serve.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.FinishReason;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.engine.TokenConstraint;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;

/**
 * Outputs generated under the constraint, checked by an independent validator (networknt json-schema-validator,
 * draft 2020-12) after parsing with Jackson: through the engine over the fake model, and by sampling from random
 * logits over GPT-2's real 50,257-token byte-level vocabulary (tokens that split UTF-8 characters or hold several
 * JSON lexemes). Also the trie-and-shortcut mask against a token-by-token check.
 */
class StructuredOutputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** GPT-2's id of the token '"' (byte-level ids start at '!' = 0). */
  private static final int GPT2_QUOTE = 1;
  private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  static final List<String> SCHEMAS = List.of(
      "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},"
          + "\"age\":{\"type\":\"integer\"},\"ok\":{\"type\":\"boolean\"}},\"required\":[\"name\",\"age\",\"ok\"],"
          + "\"additionalProperties\":false}",
      "{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":2,\"maxItems\":4}",
      "{\"type\":\"object\",\"properties\":{\"colour\":{\"enum\":[\"red\",\"green\",\"blue\"]},"
          + "\"size\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]},"
          + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4},"
          + "\"maxItems\":3}},\"required\":[\"colour\",\"size\",\"tags\"],\"additionalProperties\":false}",
      "{\"type\":\"object\",\"properties\":{\"point\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"},"
          + "\"y\":{\"type\":\"number\"}},\"required\":[\"x\",\"y\"]},\"label\":{\"type\":[\"string\",\"null\"],"
          + "\"maxLength\":6}},\"required\":[\"point\"]}",
      "{\"type\":\"string\",\"minLength\":3,\"maxLength\":8}");

  @Test
  void engineOutputsOverTheFakeModelParseAndValidate() throws Exception {
    FakeTokenizer tokenizer = new FakeTokenizer();
    FakeBackend backend = new FakeBackend();
    TokenVocabulary vocabulary = new TokenVocabulary(tokenizer.vocabularyBytes(FakeBackend.VOCAB), FakeBackend.EOS);
    int complete = 0;
    int total = 0;
    try (GenerationEngine engine = new GenerationEngine(backend, tokenizer, new EngineConfig(8, 256),
        new EngineObserver() {})) {
      List<String> schemaTexts = new ArrayList<>(SCHEMAS);
      schemaTexts.add(null); // json_object
      for (String schemaText : schemaTexts) {
        SchemaSpec spec = schemaText == null ? SchemaCompiler.anyObject()
            : SchemaCompiler.compile(JSON.readTree(schemaText));
        JsonSchema validator = VALIDATORS.getSchema(schemaText == null ? "{\"type\":\"object\"}" : schemaText);
        List<CompletableFuture<GenerationResult>> runs = new ArrayList<>();
        for (int seed = 0; seed < 12; seed++) {
          double temperature = seed % 3 == 0 ? 0 : 1.3;
          SamplingParams sampling = new SamplingParams(temperature, 1, 0, seed, 200, List.of());
          runs.add(engine.generate(new GenerationRequest("s" + seed, tokenizer.encode("json please " + seed), null,
              sampling, new JsonConstraint(spec, vocabulary))));
        }
        for (CompletableFuture<GenerationResult> run : runs) {
          GenerationResult result = run.get();
          total++;
          if (result.finishReason() == FinishReason.STOP) {
            complete++;
            assertValid(validator, result.text());
          } else {
            assertEquals(FinishReason.LENGTH, result.finishReason());
            assertEquals(200, result.completionTokens());
          }
        }
      }
    }
    assertTrue(complete >= total / 3, "only " + complete + " of " + total + " outputs completed within 200 tokens");
  }

  @Test
  void sampledOutputsOverTheGpt2VocabularyValidateAndTheMaskMatchesATokenByTokenCheck() throws Exception {
    TokenVocabulary vocabulary = new TokenVocabulary(Gpt2Vocabulary.bytes(), Gpt2Vocabulary.EOS);
    boolean[] allowed = new boolean[Gpt2Vocabulary.SIZE];
    int complete = 0;
    int checkedSteps = 0;
    int multiByteSplits = 0;
    List<String> schemaTexts = new ArrayList<>(SCHEMAS);
    schemaTexts.add(null);
    for (String schemaText : schemaTexts) {
      SchemaSpec spec = schemaText == null ? SchemaCompiler.anyObject()
          : SchemaCompiler.compile(JSON.readTree(schemaText));
      JsonSchema validator = VALIDATORS.getSchema(schemaText == null ? "{\"type\":\"object\"}" : schemaText);
      for (int seed = 0; seed < 8; seed++) {
        SplittableRandom random = new SplittableRandom(seed * 1000L + schemaTexts.indexOf(schemaText));
        TokenConstraint cursor = new JsonConstraint(spec, vocabulary).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean ended = false;
        for (int step = 0; step < 120 && !ended; step++) {
          int n = cursor.allowed(allowed);
          assertTrue(n > 0, "dead end after " + out);
          if (step % 15 == 0) { // the trie walk with its string shortcut against every token alone
            for (int id = 0; id < Gpt2Vocabulary.SIZE; id++) {
              assertEquals(cursor.allows(id), allowed[id], "token " + id + " after " + out);
            }
            checkedSteps++;
          }
          int token = pick(allowed, n, random, step);
          cursor.accept(token);
          if (token == Gpt2Vocabulary.EOS) {
            ended = true;
          } else {
            byte[] b = vocabulary.bytes(token);
            if (!java.util.Arrays.equals(b, new String(b, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8))) {
              multiByteSplits++;
            }
            out.write(b);
          }
        }
        if (ended) {
          complete++;
          assertValid(validator, out.toString(StandardCharsets.UTF_8));
        }
      }
    }
    assertTrue(complete >= 24, "only " + complete + " of 48 outputs completed within 120 tokens");
    assertTrue(checkedSteps > 100, "checked " + checkedSteps);
    assertTrue(multiByteSplits > 0, "no token split a UTF-8 character: the sampling never tried it");
  }

  /**
   * A token from random logits over the allowed ones, with end-of-sequence favoured after a while so outputs end;
   * tokens that are parts of multi-byte characters favoured now and then so they are exercised.
   */
  private static int pick(boolean[] allowed, int n, SplittableRandom random, int step) {
    if (allowed[Gpt2Vocabulary.EOS] && random.nextInt(3) > 0) return Gpt2Vocabulary.EOS;
    int[] ids = new int[n];
    int k = 0;
    for (int id = 0; id < allowed.length; id++) if (allowed[id]) ids[k++] = id;
    if (n > 1000 && step % 5 == 0) { // inside a string: a short token, or a structural one, to move on
      for (int tries = 0; tries < 50; tries++) {
        int id = ids[random.nextInt(n)];
        if (id < 256 || random.nextInt(8) == 0) return id;
      }
    }
    if (n > 1000 && random.nextInt(4) == 0 && allowed[GPT2_QUOTE]) { // end the string now and then
      return GPT2_QUOTE;
    }
    return ids[random.nextInt(n)];
  }

  static void assertValid(JsonSchema validator, String text) throws Exception {
    JsonNode parsed;
    try {
      parsed = JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("output does not parse: " + text, e);
    }
    assertTrue(parsed != null && !parsed.isMissingNode(), "empty output: '" + text + "'");
    Set<ValidationMessage> errors = validator.validate(parsed);
    assertTrue(errors.isEmpty(), "output " + text + " does not validate: " + errors);
  }
}
