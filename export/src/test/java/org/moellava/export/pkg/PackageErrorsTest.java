package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.TextConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.MoeLlavaException;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.export.onnx.TfToOnnxConverter;
import org.moellava.export.onnx.UnsupportedOpException;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.graph.DecoderGraph;
import org.moellava.tensor.TensorValue;

/** Bad checkpoints give one-line typed errors and never a (partial) package. */
class PackageErrorsTest {
  @TempDir Path dir;
  static ModelConfig config;

  @BeforeAll
  static void setUp() {
    config = PkgTestConfigs.micro();
  }

  @Test
  void truncatedVariablesFailInOneLineAndLeaveNothing() throws IOException {
    Path ck = dir.resolve("ck");
    TestCheckpoints.write(ck, config, 1);
    try (Stream<Path> files = Files.walk(ck.resolve("variables"))) {
      Path data = files.filter(p -> p.getFileName().toString().contains(".data-")).findFirst().orElseThrow();
      byte[] bytes = Files.readAllBytes(data);
      Files.write(data, java.util.Arrays.copyOf(bytes, bytes.length / 3));
    }
    assertFailsCleanly(ck, MoeLlavaException.class, "");
  }

  @Test
  void corruptManifestFailsInOneLine() throws IOException {
    Path ck = dir.resolve("ck");
    TestCheckpoints.write(ck, config, 1);
    Files.writeString(ck.resolve("variables").resolve("manifest.json"), "{ not json");
    assertFailsCleanly(ck, MoeLlavaException.class, "manifest.json");
  }

  @Test
  void configThatDoesNotMatchTheCheckpointFailsInOneLine() {
    Path ck = dir.resolve("ck");
    TestCheckpoints.write(ck, config, 1);
    TextConfig t = config.textConfig();
    TextConfig wider = new TextConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize() + 8,
        t.moeIntermediateSize(), t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(),
        t.maxPositionEmbeddings(), t.ropeTheta(), t.rmsNormEps(), t.hiddenAct(), t.tieWordEmbeddings(), t.numExperts(),
        t.numExpertsPerTok(), t.normTopkProb(), t.moeLayers(), t.capacityFactor(), t.evalCapacityFactor(),
        t.routerAuxLossCoef(), t.routerGumbelNoise(), t.padTokenId(), t.eosTokenId());
    ModelConfigIO.write(config.withTextConfig(wider), ck.resolve("config.json"));
    MoeLlavaException e = assertFailsCleanly(ck, ConfigException.class, "does not match the checkpoint");
    assertTrue(e.getMessage().contains("has shape"), e.getMessage());
  }

  @Test
  void missingCheckpointFailsInOneLine() {
    assertFailsCleanly(dir.resolve("nope"), MoeLlavaException.class, "not found");
  }

  @Test
  void anOpWithoutHandlerNamesOpNodeAndGraph() {
    Map<String, TensorValue> weights = org.moellava.graph.variables.WeightInitializer.randomWeights(config, 1);
    OpHandlerRegistry noWhere = new OpHandlerRegistry();
    OpHandlerRegistry all = OpHandlerRegistry.defaults();
    for (String op : all.supportedOps(17)) {
      if (!op.equals("Where")) all.lookup(op, 17).ifPresent(noWhere::register);
    }
    try (DecoderGraph g = DecoderGraph.build(config)) {
      ExportSpec spec = PackageGraphs.decoder(config, weights, 17);
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () ->
          new TfToOnnxConverter(noWhere, List.of(), TfToOnnxConverter.standardOptimizers())
              .convert(g.graph().toGraphDef(), spec));
      assertTrue(e.getMessage().contains("graph decoder") && e.getMessage().contains("TF op Where")
          && e.getMessage().contains("node '"), e.getMessage());
    }
  }

  private <T extends MoeLlavaException> T assertFailsCleanly(Path ck, Class<T> type, String fragment) {
    Path out = dir.resolve("pkg");
    T e = assertThrows(type, () -> new PackageExporter(ExportOptions.defaults()).export(ck, out));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertFalse(Files.exists(out), "no package");
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".pkg")).toList(),
          "no staging directory");
    } catch (IOException x) {
      throw new java.io.UncheckedIOException(x);
    }
    return e;
  }
}
