package org.moellava.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.engine.TokenConstraint;
import org.moellava.serve.structured.JsonConstraint;
import org.moellava.serve.structured.SchemaCompiler;
import org.moellava.serve.structured.SchemaSpec;
import org.moellava.serve.structured.TokenVocabulary;

/**
 * {@code bench serve-json}: the per-token cost of structured output's token mask. The same engine runs the same
 * requests unconstrained and constrained to {@code json}, side by side, greedy and sampled (temperature 1),
 * at concurrency 1 and 8, and reports aggregate tokens/s of each and their ratio (target ≥ 0.8).
 *
 * <p>The vocabulary is real: GPT-2's byte-level BPE (tiktoken r50k_base, shipped by jtokkit), ids truncated to the
 * model's vocabulary (with {@code tiny}'s 256 ids, GPT-2's 256 single-byte tokens; with {@code small}'s 32,000, its
 * first 32,000 tokens), the model's eos, pad and image ids holding no bytes. The weights are random, so what the
 * model writes is noise, but the mask is computed over the real byte strings at every step.
 */
public final class StructuredServeBench {
  private static final int PROMPT = 24;
  private static final int TOKENS = 64;
  private static final int[] CONCURRENCY = {1, 8};

  private StructuredServeBench() {}

  /** Runs every variant {@code requestsPerClient} times per client after a warm-up. */
  public static BenchResult run(String label, Backend backend, int requestsPerClient) {
    ModelInfo info = backend.info();
    TokenVocabulary vocabulary = new TokenVocabulary(gpt2Bytes(info), info.eosTokenId());
    // an array of at least a million free-form objects: the output cannot end before max_tokens, so both variants
    // generate the same number of tokens per request and the ratio is the mask's cost alone
    TimedConstraint json = new TimedConstraint(new JsonConstraint(new SchemaSpec.ArraySpec(SchemaCompiler.anyObject(),
        1_000_000, -1), vocabulary));
    List<BenchResult.Figure> figures = new ArrayList<>();
    List<BenchResult.Ratio> ratios = new ArrayList<>();
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(info.vocabSize()),
        new EngineConfig(16, 64), new EngineObserver() {})) {
      tokensPerSecond(engine, info, 8, 1, 0, null); // warm-up: KV slots, backend buffers
      tokensPerSecond(engine, info, 8, 1, 0, json);
      for (double temperature : new double[] {0, 1}) {
        String sampling = temperature == 0 ? "greedy" : "sampled";
        for (int c : CONCURRENCY) {
          double free = tokensPerSecond(engine, info, c, requestsPerClient, temperature, null);
          json.reset();
          double constrained = tokensPerSecond(engine, info, c, requestsPerClient, temperature, json);
          String at = label + " " + sampling + " concurrency " + c + ": ";
          figures.add(new BenchResult.Figure(at + "unconstrained", free, "tokens/s"));
          figures.add(new BenchResult.Figure(at + "json", constrained, "tokens/s"));
          figures.add(new BenchResult.Figure(at + "constraint time per json token", json.microsPerToken(), "us"));
          figures.add(new BenchResult.Figure(at + "full masks computed per json token", json.masksPerToken(),
              ""));
          ratios.add(new BenchResult.Ratio(at + "json / unconstrained tokens/s", constrained / free, 0.8,
              false));
        }
      }
    }
    return new BenchResult("serve-json", BenchResult.thisMachine(), figures, ratios);
  }

  /** The constraint with its time counted: mask computations, single-token checks and advances (scheduler thread). */
  private static final class TimedConstraint implements TokenConstraint.Factory {
    private final TokenConstraint.Factory inner;
    private long nanos;
    private long tokens;
    private long masks;

    TimedConstraint(TokenConstraint.Factory inner) {
      this.inner = inner;
    }

    void reset() {
      nanos = 0;
      tokens = 0;
      masks = 0;
    }

    double microsPerToken() {
      return tokens == 0 ? Double.NaN : nanos / 1e3 / tokens;
    }

    double masksPerToken() {
      return tokens == 0 ? Double.NaN : (double) masks / tokens;
    }

    @Override
    public TokenConstraint start() {
      TokenConstraint c = inner.start();
      return new TokenConstraint() {
        @Override
        public int allowed(boolean[] allowed) {
          long t = System.nanoTime();
          int n = c.allowed(allowed);
          nanos += System.nanoTime() - t;
          masks++;
          return n;
        }

        @Override
        public boolean allows(int token) {
          long t = System.nanoTime();
          boolean ok = c.allows(token);
          nanos += System.nanoTime() - t;
          return ok;
        }

        @Override
        public void accept(int token) {
          long t = System.nanoTime();
          c.accept(token);
          nanos += System.nanoTime() - t;
          tokens++;
        }
      };
    }
  }

  /** Aggregate generated tokens/s of {@code concurrency} clients sending {@code perClient} requests each. */
  private static double tokensPerSecond(GenerationEngine engine, ModelInfo info, int concurrency, int perClient,
      double temperature, TokenConstraint.Factory constraint) {
    long start = System.nanoTime();
    long tokens = 0;
    for (int r = 0; r < perClient; r++) {
      List<CompletableFuture<GenerationResult>> batch = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        SamplingParams sampling = new SamplingParams(temperature, 1, 0, 31L * r + c, TOKENS, List.of());
        batch.add(engine.generate(new GenerationRequest("bench", prompt(info, c * 31 + r), null, sampling,
            constraint)));
      }
      for (CompletableFuture<GenerationResult> f : batch) tokens += f.join().completionTokens();
    }
    return tokens / ((System.nanoTime() - start) / 1e9);
  }

  private static int[] prompt(ModelInfo info, int seed) {
    int[] ids = new int[PROMPT];
    for (int i = 0; i < PROMPT; i++) {
      int id = 3 + (seed * 7 + i * 11) % (info.vocabSize() - 3);
      ids[i] = id == info.imageTokenId() ? id + 1 : id;
    }
    return ids;
  }

  /** GPT-2's token bytes for ids below the model's vocabulary size, none for its special ids. */
  static byte[][] gpt2Bytes(ModelInfo info) {
    Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    byte[][] bytes = new byte[info.vocabSize()][];
    for (int id = 0; id < Math.min(info.vocabSize(), 50256); id++) {
      if (id == info.eosTokenId() || id == info.padTokenId() || id == info.imageTokenId()) continue;
      IntArrayList one = new IntArrayList(1);
      one.add(id);
      bytes[id] = encoding.decodeBytes(one);
    }
    return bytes;
  }
}
