package org.moellava.export.pkg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.runtime.conformance.QuantizedTolerance;
import org.moellava.runtime.conformance.QuantizedVerdict;

/**
 * Figures for docs/export.md: the agreement of quantized packages with the fp32 TF reference (thresholds set to 0,
 * so every variant is measured), package sizes and batch-1 decode tokens/s on ONNX Runtime CPU with 2 threads, fp32,
 * int8 and int4 side by side. Run with {@code -Pheavy -Dtest=QuantizedPackageBenchmark -Dquant.preset=tiny|small}.
 */
@Tag("heavy")
class QuantizedPackageBenchmark {
  static final QuantizedTolerance MEASURE = new QuantizedTolerance(-1, 0, 0, 0, 0.02);
  @TempDir Path dir;

  @Test
  void figures() {
    String preset = System.getProperty("quant.preset", Presets.TINY);
    ModelConfig config = Presets.get(preset);
    Path ck = dir.resolve(preset);
    TestCheckpoints.write(ck, config, 1);
    List<String> names = new ArrayList<>();
    List<Path> packages = new ArrayList<>();
    PackageExporter.Result fp32 = new PackageExporter(ExportOptions.defaults()).export(ck, dir.resolve("fp32"));
    System.out.printf("QUANT %s fp32: %.1f MB, export %.1f s%n", preset, fp32.bytes() / 1e6, fp32.seconds());
    names.add("fp32");
    packages.add(fp32.directory());
    String variants = System.getProperty("quant.variants", "int8-32-sym-0,int4-32-sym-0,int4-32-sym-4,int4-32-asym-0");
    for (String v : variants.split(",")) {
      String[] p = v.split("-");
      QuantScheme s = QuantScheme.parse(p[0], Integer.parseInt(p[1]), p[2].equals("sym"), Integer.parseInt(p[3]));
      for (MoeMode mode : System.getProperty("quant.fused", "false").equals("true")
          ? List.of(MoeMode.STANDARD, MoeMode.ORT_FUSED) : List.of(MoeMode.STANDARD)) {
        String name = s.id() + "-acc" + s.accuracyLevel() + "-" + mode.id();
        PackageExporter.Result r = new PackageExporter(ExportOptions.defaults().withMoeMode(mode)
            .withQuantize(new QuantizeOptions(s, false, MEASURE))).export(ck, dir.resolve(name));
        QuantizedVerdict q = r.conformance().quantized();
        System.out.printf("QUANT %s %s: %.1f MB, export %.1f s; logits cosine min %.6f mean %.6f over %d positions, "
            + "top-1 %.4f, routing same %d near-tie %d flip %d of %d (agreement %.4f), greedy prefixes %s of %d%n",
            preset, name, r.bytes() / 1e6, r.seconds(), q.minLogitsCosine(), q.meanLogitsCosine(), q.positions(),
            q.top1Agreement(), q.routingSame(), q.routingNearTies(), q.routingFlips(), q.routedTokens(),
            q.routingAgreement(), q.greedyPrefixes(), q.greedySteps());
        names.add(name);
        packages.add(r.directory());
      }
    }
    if (Boolean.parseBoolean(System.getProperty("quant.speed", "true"))) {
      DecodeSpeed.sideBySide(config, names, packages, 2, Integer.getInteger("quant.rounds", 3))
          .forEach(line -> System.out.println("QUANT " + preset + " " + line));
    }
  }
}
