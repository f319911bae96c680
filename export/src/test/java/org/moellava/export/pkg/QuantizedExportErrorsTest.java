package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.quant.MatMulNBitsRewriter;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantTargets;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.runtime.conformance.QuantizedTolerance;

/** Bad quantization requests: one-line typed errors, and never a (partial) package. */
class QuantizedExportErrorsTest {
  @TempDir Path dir;

  static QuantizeOptions int4(int block) {
    return new QuantizeOptions(QuantScheme.parse("int4", block, true, 0), false);
  }

  @Test
  void aBlockSizeThatDoesNotDivideKIsRefusedNamingTheTensor() {
    TestCheckpoints.write(dir.resolve("ck"), PkgTestConfigs.micro(), 1); // D = 16
    InvalidInputException e = refusedCleanly(ExportOptions.defaults().withQuantize(int4(32)), dir.resolve("ck"));
    assertTrue(e.getMessage().contains("--block-size 32 does not divide K=16 of "), e.getMessage());
  }

  @Test
  void unknownSchemesAreRefused() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> QuantScheme.parse("int2", 32, true, 0));
    assertTrue(e.getMessage().contains("--quantize int2: unknown scheme (int8, int4)"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> QuantScheme.parse("fp8", 32, true, 0));
    assertThrows(InvalidInputException.class, () -> QuantScheme.parse("int4", 16, true, 0));
  }

  @Test
  void quantizeWithFp16OrTensorRtIsRefusedBeforeAnythingIsWritten() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> ExportOptions.defaults().withPrecision(Precision.FP16).withQuantize(int4(32)));
    assertTrue(e.getMessage().contains("--quantize needs --precision fp32"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertThrows(InvalidInputException.class,
        () -> ExportOptions.defaults().withQuantize(int4(32)).withPrecision(Precision.FP16));
  }

  @Test
  void qdqOptionsRefuseBlockwiseSchemesEmbeddingsFusedMoeAndAllowTensorRt() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> new QuantizeOptions(
        QuantScheme.parse("int8", 32, true, 0), false, null, false, org.moellava.export.quant.QuantFormat.QDQ));
    assertTrue(e.getMessage().contains("--quant-format qdq takes int8 with one scale per output channel, not "
        + "int8-b32-sym"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> QuantizeOptions.qdq(false, null).withQuantizeEmbeddings(true));
    assertThrows(InvalidInputException.class, () -> new QuantizeOptions(QuantScheme.int8PerChannel(), false));
    InvalidInputException f = assertThrows(InvalidInputException.class, () -> ExportOptions.defaults()
        .withMoeMode(org.moellava.export.moe.MoeMode.ORT_FUSED).withQuantize(QuantizeOptions.qdq(false, null)));
    assertTrue(f.getMessage().contains("--quant-format qdq needs --moe standard"), f.getMessage());
    org.moellava.export.tensorrt.TensorRtOptions trt = org.moellava.export.tensorrt.TensorRtOptions.defaults(
        PkgTestConfigs.micro(), true);
    assertEquals(trt, ExportOptions.defaults().withTensorRt(trt).withQuantize(QuantizeOptions.qdq(false, null))
        .tensorRt());
    InvalidInputException t = assertThrows(InvalidInputException.class,
        () -> ExportOptions.defaults().withTensorRt(trt).withQuantize(int4(32)));
    assertTrue(t.getMessage().contains("--quantize with --tensorrt needs --quant-format qdq"), t.getMessage());
  }

  @Test
  void quantizingAnAlreadyQuantizedPackageIsRefused() {
    TestCheckpoints.write(dir.resolve("ck"), PkgTestConfigs.quantMicro(), 2);
    QuantizedTolerance any = new QuantizedTolerance(-1, 0, 0, 0, 0.1);
    Path pkg = new PackageExporter(ExportOptions.defaults().withQuantize(new QuantizeOptions(
        QuantScheme.parse("int4", 32, true, 0), false, any))).export(dir.resolve("ck"), dir.resolve("q4")).directory();
    // the package given where a checkpoint belongs
    InvalidInputException e = refusedCleanly(ExportOptions.defaults().withQuantize(int4(32)), pkg);
    assertTrue(e.getMessage().contains("is an already quantized model package (int4-b32-sym), not a checkpoint"),
        e.getMessage());
    // its decoder given to the rewriter
    InvalidInputException r = assertThrows(InvalidInputException.class, () -> MatMulNBitsRewriter.rewrite(
        OnnxModelReader.read(pkg.resolve("decoder.onnx")), QuantTargets.of(PkgTestConfigs.quantMicro(), false),
        QuantScheme.parse("int8", 32, true, 0)));
    assertTrue(r.getMessage().contains("is already quantized (node ") && r.getMessage().contains("MatMulNBits"),
        r.getMessage());
  }

  @Test
  void aPackageOutsideItsThresholdsFailsValidationAndPublishesNothing() {
    TestCheckpoints.write(dir.resolve("ck"), PkgTestConfigs.quantMicro(), 3);
    QuantizedTolerance impossible = new QuantizedTolerance(1, 1, 1, 8, 0);
    InvalidInputException e = refusedCleanly(ExportOptions.defaults().withQuantize(new QuantizeOptions(
        QuantScheme.parse("int4", 32, true, 0), false, impossible)), dir.resolve("ck"));
    assertTrue(e.getMessage().startsWith("export failed validation against TensorFlow: quantized int4-b32-sym: "
        + "logits cosine "), e.getMessage());
  }

  private InvalidInputException refusedCleanly(ExportOptions options, Path ck) {
    Path out = dir.resolve("out");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> new PackageExporter(options).export(ck, out));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertFalse(Files.exists(out), "no package");
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".out")).toList(),
          "no staging directory");
    } catch (IOException x) {
      throw new java.io.UncheckedIOException(x);
    }
    return e;
  }
}
