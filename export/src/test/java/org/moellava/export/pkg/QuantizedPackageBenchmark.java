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
 * A variant is {@code int4-32-sym-0} (scheme, block, sym|asym, accuracy level), with {@code -emb} appended for
 * {@code --quantize-embeddings}, or {@code int8-qdq} ({@code --quant-format qdq}); {@code -Dquant.largest=N} lists each package's N largest fp32 initializers.
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
    System.out.printf("QUANT %s fp32: %.1f MB, export %.1f s; files %s%n", preset, fp32.bytes() / 1e6, fp32.seconds(),
        fileSizes(fp32.directory()));
    names.add("fp32");
    packages.add(fp32.directory());
    String variants = System.getProperty("quant.variants", "int8-32-sym-0,int4-32-sym-0,int4-32-sym-4,int4-32-asym-0");
    for (String v : variants.split(",")) {
      String[] p = v.split("-");
      boolean qdq = v.equals("int8-qdq"); // --quant-format qdq: int8 per output channel
      QuantScheme s = qdq ? QuantScheme.int8PerChannel()
          : QuantScheme.parse(p[0], Integer.parseInt(p[1]), p[2].equals("sym"), Integer.parseInt(p[3]));
      boolean emb = p.length > 4 && p[4].equals("emb");
      for (MoeMode mode : System.getProperty("quant.fused", "false").equals("true")
          ? List.of(MoeMode.STANDARD, MoeMode.ORT_FUSED) : List.of(MoeMode.STANDARD)) {
        String name = s.id() + "-acc" + s.accuracyLevel() + "-" + mode.id() + (emb ? "-emb" : "");
        PackageExporter.Result r = new PackageExporter(ExportOptions.defaults().withMoeMode(mode)
            .withQuantize(qdq ? QuantizeOptions.qdq(false, MEASURE)
                : new QuantizeOptions(s, false, MEASURE).withQuantizeEmbeddings(emb)))
            .export(ck, dir.resolve(name));
        QuantizedVerdict q = r.conformance().quantized();
        System.out.printf("QUANT %s %s: %.1f MB, export %.1f s; logits cosine min %.6f mean %.6f over %d positions, "
            + "top-1 %.4f, routing same %d near-tie %d flip %d of %d (agreement %.4f), greedy prefixes %s of %d%n",
            preset, name, r.bytes() / 1e6, r.seconds(), q.minLogitsCosine(), q.meanLogitsCosine(), q.positions(),
            q.top1Agreement(), q.routingSame(), q.routingNearTies(), q.routingFlips(), q.routedTokens(),
            q.routingAgreement(), q.greedyPrefixes(), q.greedySteps());
        System.out.printf("QUANT %s %s: %.3fx fp32; files %s%n", preset, name, (double) r.bytes() / fp32.bytes(),
            fileSizes(r.directory()));
        if (q.routingPerLayer() != null) System.out.println("QUANT " + preset + " " + name + " routing per layer "
            + q.routingPerLayer());
        largestFp32(preset, name, r.directory());
        names.add(name);
        packages.add(r.directory());
      }
    }
    if (Boolean.parseBoolean(System.getProperty("quant.speed", "true"))) {
      DecodeSpeed.sideBySide(config, names, packages, 2, Integer.getInteger("quant.rounds", 3))
          .forEach(line -> System.out.println("QUANT " + preset + " " + line));
    }
  }

  /** Each file of a package with its size in MB. */
  static String fileSizes(Path pkg) {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(pkg)) {
      return files.sorted().map(f -> {
        try {
          return String.format("%s %.1f MB", f.getFileName(), java.nio.file.Files.size(f) / 1e6);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList().toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Prints the {@code quant.largest} largest fp32 initializers of the package's ONNX files. */
  static void largestFp32(String preset, String name, Path pkg) {
    int n = Integer.getInteger("quant.largest", 0);
    if (n == 0) return;
    List<String> rows = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    for (String f : List.of("vision.onnx", "embed.onnx", "decoder.onnx")) {
      org.moellava.export.onnx.proto.ModelProto m = org.moellava.export.onnx.io.OnnxModelReader.read(pkg.resolve(f));
      long total = 0;
      for (org.moellava.export.onnx.proto.TensorProto t : m.getGraph().getInitializerList()) {
        if (t.getDataType() != org.moellava.export.onnx.proto.TensorProto.DataType.FLOAT_VALUE) continue;
        long elements = 1;
        for (long d : t.getDimsList()) elements *= d;
        total += 4 * elements;
        rows.add(String.format("%s %s %s %.2f MB", f, t.getName(), t.getDimsList(), 4 * elements / 1e6));
        sizes.add(4 * elements);
      }
      System.out.printf("QUANT %s %s fp32 initializers of %s: %.1f MB%n", preset, name, f, total / 1e6);
    }
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Long.compare(sizes.get(b), sizes.get(a)));
    for (int i = 0; i < Math.min(n, order.length); i++) {
      System.out.println("QUANT " + preset + " " + name + " largest fp32 " + (i + 1) + ": " + rows.get(order[i]));
    }
  }
}
