package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;

/**
 * {@code bench backends} and {@code bench kv} measure what they name on every backend, and attach their targets.
 * Speed verdicts belong to the commands, not to tests.
 */
@Tag("heavy")
class BackendsAndKvBenchTest {
  @Test
  void backendsReportsPrefillDecodeAndTheBandwidthBound() {
    BenchResult result = BackendsBench.run("tiny", Presets.get(Presets.TINY), 1);
    for (BenchResult.Figure f : result.figures()) {
      assertTrue(f.value() > 0 && Double.isFinite(f.value()), f.name() + " = " + f.value());
    }
    for (String backend : List.of("tensorflow", "onnxruntime standard", "onnxruntime ort-fused")) {
      assertTrue(has(result, "tiny decode (context 128, engine): " + backend), result.table());
      assertTrue(has(result, "tiny prefill S=64: " + backend), result.table());
    }
    assertTrue(has(result, "memory read bandwidth (all cores)"), result.table());
    BenchResult.Ratio target = ratio(result, "tiny decode tokens/s: onnxruntime standard / tensorflow");
    assertEquals(2.0, target.target());
    // A backend cannot beat the bound set by reading its weights once per token by much (caches help tiny a little).
    assertTrue(ratio(result, "tiny decode: onnxruntime standard / bandwidth bound").value() < 3, result.table());
  }

  /**
   * With {@code --quantize int8,int4} the quantized packages decode beside the fp32 ones with their own (smaller)
   * bytes per token; without a Python the transformers comparison is skipped and the report says why.
   */
  @Test
  void backendsDecodesQuantizedPackagesAndSaysWhyTransformersIsSkipped() {
    BenchResult result = BackendsBench.run("tiny", Presets.get(Presets.TINY), 1,
        new BackendsBench.Options(List.of("int8", "int4"), null, 2));
    for (String q : List.of("int8", "int4")) {
      assertTrue(has(result, "tiny decode (context 128, engine): onnxruntime " + q), result.table());
      assertTrue(figure(result, "tiny decode: weights read per token, onnxruntime " + q)
          < figure(result, "tiny decode: activated weights read per token"), result.table());
    }
    assertTrue(figure(result, "tiny decode: weights read per token, onnxruntime int4")
        < figure(result, "tiny decode: weights read per token, onnxruntime int8"), result.table());
    assertTrue(result.notes().stream().anyMatch(n -> n.startsWith("transformers comparison skipped: no --python")),
        result.table());
    assertTrue(result.ratios().stream().noneMatch(r -> r.name().contains("transformers")), result.table());
  }

  /**
   * With a Python that has torch and transformers ({@code MOELLAVA_PYTHON}, set up by CI), transformers decodes the
   * same weights beside the packages: its greedy tokens equal the fp32 package's (an independent implementation of
   * the same model, so a wrong {@code export hf} or a wrong decode would part them) and every package gets its ratio
   * against transformers with the target.
   */
  @Test
  @Tag("heavy")
  void backendsDecodesBesideTransformersWithTheSameGreedyTokens() {
    String python = System.getenv(TransformersDecode.PYTHON_ENV);
    if (python == null) System.out.println("skipped: " + TransformersDecode.PYTHON_ENV + " is not set");
    Assumptions.assumeTrue(python != null, TransformersDecode.PYTHON_ENV + " is not set");
    BenchResult result = BackendsBench.run("tiny", Presets.get(Presets.TINY), 1,
        new BackendsBench.Options(List.of("int8"), java.nio.file.Path.of(python), 2));
    BenchResult.Figure same = result.figures().stream()
        .filter(f -> f.name().startsWith("tiny greedy tokens equal, onnxruntime standard fp32 vs transformers (of "))
        .findFirst().orElseThrow(() -> new AssertionError("no greedy comparison in\n" + result.table()
            + "\n" + result.notes()));
    int compared = Integer.parseInt(same.name().replaceAll(".*\\(of (\\d+)\\)$", "$1"));
    assertTrue(compared > 1, same.name());
    assertEquals(compared, same.value(), 0.0, result.table() + "\n" + result.notes());
    assertEquals(2.0, ratio(result, "tiny decode tokens/s: onnxruntime standard / transformers").target());
    assertEquals(5.0, ratio(result, "tiny decode tokens/s: onnxruntime int8 / transformers").target());
  }

  @Test
  void kvComparesBothBackendsAtEachContext() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    TextConfig t = tiny.textConfig();
    TextConfig longContext = new TextConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(),
        t.moeIntermediateSize(), t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(), 1100,
        t.ropeTheta(), t.rmsNormEps(), t.hiddenAct(), t.tieWordEmbeddings(), t.numExperts(), t.numExpertsPerTok(),
        t.normTopkProb(), t.moeLayers(), t.capacityFactor(), t.evalCapacityFactor(), t.routerAuxLossCoef(),
        t.routerGumbelNoise(), t.padTokenId(), t.eosTokenId());
    BenchResult result = KvBench.run(tiny.withTextConfig(longContext), 1);
    assertEquals(2 * KvBench.CONTEXTS.length, result.figures().size(), result.table());
    for (BenchResult.Figure f : result.figures()) {
      assertTrue(f.value() > 0 && Double.isFinite(f.value()), f.name() + " = " + f.value());
    }
    assertEquals(2, result.ratios().size(), result.table());
    for (BenchResult.Ratio r : result.ratios()) assertEquals(1.5, r.target(), r.name());
  }

  private static double figure(BenchResult result, String name) {
    return result.figures().stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no figure '" + name + "' in\n" + result.table())).value();
  }

  private static boolean has(BenchResult result, String name) {
    return result.figures().stream().anyMatch(f -> f.name().equals(name));
  }

  private static BenchResult.Ratio ratio(BenchResult result, String name) {
    return result.ratios().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no ratio '" + name + "' in\n" + result.table()));
  }
}
