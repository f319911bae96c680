package org.moellava.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.onnx.lint.LintViolation;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.export.pkg.Precision;
import org.moellava.export.quant.QuantFormat;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.runtime.conformance.QuantizedVerdict;
import org.moellava.export.tensorrt.TensorRtOptions;
import org.moellava.export.validate.PackageLint;
import org.moellava.hf.HfExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava export}: a checkpoint to a model package (ONNX files, model.json, tokenizer, optional TensorRT
 * engines), validated against TensorFlow before it is published; {@code --check-tensorrt PKG} lints a package;
 * {@code export hf} writes the transformers layout.
 */
@Command(name = "export", description = "Export a checkpoint to a model package (or lint one with --check-tensorrt).",
    subcommands = {ExportCommand.Hf.class, ExportCommand.MoeLlava.class})
public final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", description = "The checkpoint directory.")
  Path checkpoint;

  @Option(names = "--out", description = "The package directory to write (must not exist).")
  Path out;

  @Option(names = "--opset", defaultValue = "17", description = "ONNX opset, 17..20 (default ${DEFAULT-VALUE}).")
  int opset;

  @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or fp16 (router stays fp32).")
  String precision;

  @Option(names = "--moe", defaultValue = "standard",
      description = "standard (ONNX Runtime and TensorRT) or ort-fused (com.microsoft.MoE, ONNX Runtime only).")
  String moe;

  @Option(names = "--tensorrt", description = "Also build TensorRT engines (needs a GPU and TensorRT 10.6).")
  boolean tensorRt;

  @Option(names = "--trt-batch", split = ",", description = "min,opt,max batch (default 1,1,8).")
  List<Integer> trtBatch;

  @Option(names = "--trt-sequence", split = ",", description = "min,opt,max new tokens (default 1,128,max positions).")
  List<Integer> trtSequence;

  @Option(names = "--trt-past", split = ",", description = "min,opt,max past length (default 0,512,max positions - 1).")
  List<Integer> trtPast;

  @Option(names = "--trt-fp16", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Allow FP16 kernels (default on).")
  boolean trtFp16;

  @Option(names = "--trt-tf32", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Allow TF32 kernels (default on).")
  boolean trtTf32;

  @Option(names = "--trt-opt-level", defaultValue = "3", description = "Builder optimisation level 0..5.")
  int trtOptLevel;

  @Option(names = "--trt-timing-cache", description = "Timing cache file (read if present, then updated).")
  Path trtTimingCache;

  @Option(names = "--quantize", paramLabel = "SCHEME",
      description = "Weight-only quantization: int8 or int4 (com.microsoft.MatMulNBits / QMoE, ONNX Runtime only; "
          + "int8 with --quant-format qdq also for TensorRT).")
  String quantize;

  @Option(names = "--quant-format", paramLabel = "FORMAT", description = "qoperator (default: com.microsoft "
      + "MatMulNBits / QMoE, blockwise) or qdq (int8 only, per output channel, DequantizeLinear -> MatMul: "
      + "TensorRT-parsable).")
  String quantFormat;

  @Option(names = "--block-size", description = "Quantization block along K: 32, 64 or 128 (default 32).")
  Integer blockSize;

  @Option(names = "--accuracy-level", description = "MatMulNBits accuracy_level 0..4 (default 4 for int8: int8 activations; 0 for int4: fp32).")
  Integer accuracyLevel;

  @Option(names = "--zero-points", description = "Store per-block zero points (asymmetric; default symmetric).")
  boolean zeroPoints;

  @Option(names = "--keep-lm-head-fp32", description = "Leave lm_head in fp32 when quantizing.")
  boolean keepLmHeadFp32;

  @Option(names = "--quantize-embeddings", description = "Also store the token embedding table in the scheme "
      + "(com.microsoft.GatherBlockQuantized; with tied embeddings lm_head too); default fp32.")
  boolean quantizeEmbeddings;

  @Option(names = "--fold-shapes", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Cut the kernels a decode step runs (default on): fold shape plumbing (constant Reshape "
          + "targets, no int32 round trips), output Identities, RMSNorm into ONNX Runtime's fused form. "
          + "--no-fold-shapes exports the graph as converted, to compare.")
  boolean foldShapes = true;

  @Option(names = "--check-tensorrt", paramLabel = "PKG",
      description = "Lint every .onnx of a package against TensorRT's ONNX parser; exit 1 on any violation.")
  Path checkTensorRt;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    if (checkTensorRt != null) return lint(o);
    if (checkpoint == null || out == null) {
      spec.commandLine().usage(o);
      throw new InvalidInputException("export needs --checkpoint DIR and --out PKG (or --check-tensorrt PKG)");
    }
    ExportOptions options = new ExportOptions(opset, Precision.parse(precision), MoeMode.parse(moe), null,
        OnnxModelWriter.DEFAULT_EXTERNAL_THRESHOLD);
    if (tensorRt) options = options.withTensorRt(tensorRtOptions());
    options = options.withQuantize(quantizeOptions()).withFoldShapes(foldShapes);
    PackageExporter.Result r = new PackageExporter(options).export(checkpoint, out);
    long checks = r.conformance().checks().size();
    String weights = options.quantize() == null ? options.precision().id()
        : "weights " + options.quantize().scheme().id() + ", " + r.manifest().quantization().tensors().size()
            + " tensors quantized" + (options.quantize().quantizeEmbeddings() ? " with the embeddings" : "");
    o.printf("exported %s to %s (%s, moe %s, opset %d) in %.1f s, %.1f MB%n", checkpoint, r.directory(),
        weights, r.manifest().moeMode(), opset, r.seconds(), r.bytes() / 1e6);
    QuantizedVerdict q = r.conformance().quantized();
    if (q != null) {
      String routing = q.routedTokens() == 0 ? "no MoE layer"
          : String.format("routing %.1f %% (%d near ties, %d flips)", 100 * q.routingAgreement(), q.routingNearTies(),
              q.routingFlips());
      o.printf("validated against TensorFlow fp32: logits cosine >= %.4f, top-1 %.1f %%, %s, greedy prefix %.1f of "
          + "%d; see %s%n", q.minLogitsCosine(), 100 * q.top1Agreement(), routing, q.meanGreedyPrefix(),
          q.greedySteps(), r.directory().resolve(PackageExporter.CONFORMANCE_FILE));
      if (!q.routingPerLayer().isEmpty()) {
        StringBuilder layers = new StringBuilder("routing agreement per MoE layer:");
        for (QuantizedVerdict.LayerRouting l : q.routingPerLayer()) {
          layers.append(String.format(" layer %d %.1f %% (%d/%d same, %d near ties, %d flips);", l.layer(),
              100 * l.agreement(), l.same(), l.compared(), l.nearTies(), l.flips()));
        }
        o.println(layers.substring(0, layers.length() - 1));
      }
    } else {
      o.printf("validated against TensorFlow: %d checks passed (tolerance %s), see %s%n", checks,
          r.conformance().tolerance(), r.directory().resolve(PackageExporter.CONFORMANCE_FILE));
    }
    if (!r.manifest().files().containsKey("tokenizer")) {
      o.println("note: the checkpoint has no tokenizer.json, so neither has the package");
    }
    for (Map.Entry<String, String> f : r.manifest().files().entrySet()) {
      o.printf("  %-16s %s%n", f.getKey(), f.getValue());
    }
    return 0;
  }

  /** {@code --quantize} and its companions, or null; a companion without {@code --quantize} is refused. */
  private QuantizeOptions quantizeOptions() {
    if (quantize == null) {
      if (blockSize != null || accuracyLevel != null || zeroPoints || keepLmHeadFp32 || quantizeEmbeddings
          || quantFormat != null) {
        throw new InvalidInputException("--block-size, --accuracy-level, --zero-points, --keep-lm-head-fp32, "
            + "--quant-format and --quantize-embeddings need --quantize int8|int4");
      }
      return null;
    }
    QuantFormat format = quantFormat == null ? QuantFormat.QOPERATOR : QuantFormat.parse(quantFormat);
    if (format == QuantFormat.QDQ) return qdqOptions();
    QuantScheme scheme = QuantScheme.parse(quantize, blockSize == null ? QuantScheme.DEFAULT_BLOCK_SIZE : blockSize,
        !zeroPoints, accuracyLevel == null ? QuantScheme.defaultAccuracyLevel(quantize) : accuracyLevel);
    return new QuantizeOptions(scheme, keepLmHeadFp32).withQuantizeEmbeddings(quantizeEmbeddings);
  }

  /**
   * {@code --quant-format qdq}: int8 per output channel; the blockwise companions are refused, each naming why
   * (before anything is read or written).
   */
  private QuantizeOptions qdqOptions() {
    if (!quantize.equals("int8")) {
      QuantScheme.parse(quantize, QuantScheme.DEFAULT_BLOCK_SIZE, true, 0); // an unknown name: its own error
      throw new InvalidInputException("--quant-format qdq takes --quantize int8 only: " + quantize + " weights need "
          + "blockwise DequantizeLinear (opset 21), which TensorRT 10's ONNX parser (opset <= 20) does not take");
    }
    if (blockSize != null) {
      throw new InvalidInputException("--block-size does not apply to --quant-format qdq: its int8 weights have one "
          + "scale per output channel (blockwise DequantizeLinear needs opset 21, beyond TensorRT 10's parser)");
    }
    if (accuracyLevel != null) {
      throw new InvalidInputException("--accuracy-level does not apply to --quant-format qdq: it is an attribute of "
          + "com.microsoft.MatMulNBits, and qdq writes DequantizeLinear -> MatMul");
    }
    if (zeroPoints) {
      throw new InvalidInputException("--zero-points does not apply to --quant-format qdq: its int8 weights are "
          + "symmetric with zero point 0, the only zero point TensorRT's Dequantize layer takes");
    }
    if (quantizeEmbeddings) {
      throw new InvalidInputException("--quantize-embeddings cannot be combined with --quant-format qdq: the "
          + "quantized lookup is com.microsoft.GatherBlockQuantized, which TensorRT does not have");
    }
    return QuantizeOptions.qdq(keepLmHeadFp32, null);
  }

  private TensorRtOptions tensorRtOptions() {
    TensorRtOptions d = TensorRtOptions.defaults(CheckpointReader.open(checkpoint).config(), trtFp16);
    return new TensorRtOptions(trtBatch == null ? d.batch() : trtBatch, trtSequence == null ? d.sequence() : trtSequence,
        trtPast == null ? d.pastSequence() : trtPast, trtFp16, trtTf32, trtOptLevel, trtTimingCache);
  }

  private int lint(PrintWriter o) {
    Map<String, List<LintViolation>> result = PackageLint.check(checkTensorRt);
    int count = 0;
    for (Map.Entry<String, List<LintViolation>> e : result.entrySet()) {
      for (LintViolation v : e.getValue()) {
        o.println(e.getKey() + ": " + v);
        count++;
      }
    }
    if (count > 0) {
      o.println(checkTensorRt + ": " + count + " TensorRT violation(s) in " + result.size() + " file(s)");
      return MoeLlavaException.EXIT_FAILURE;
    }
    o.println(checkTensorRt + ": " + result.size() + " file(s) pass the TensorRT lint " + result.keySet());
    return 0;
  }

  /** A folder that transformers' {@code LlavaForConditionalGeneration.from_pretrained} loads. */
  @Command(name = "hf", description = "Write the checkpoint in the transformers LLaVA layout (config.json, model.safetensors, tokenizer.json).")
  static final class Hf implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "The checkpoint directory.")
    Path checkpoint;

    @Option(names = "--out", required = true, description = "The folder to write (must not exist).")
    Path out;

    @Override
    public void run() {
      if (Files.exists(out)) {
        throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
      }
      Path written = new HfExporter().export(checkpoint, out);
      spec.commandLine().getOut().println("exported " + checkpoint + " to " + written);
    }
  }

  /** A folder in the published MoE-LLaVA layout of the checkpoint's family. */
  @Command(name = "moellava", description = "Write a stablelm, phi or qwen checkpoint in the published MoE-LLaVA layout "
      + "(config.json, safetensors, tokenizer files); an imported checkpoint is written back bit for bit.")
  static final class MoeLlava implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "The checkpoint directory.")
    Path checkpoint;

    @Option(names = "--out", required = true, description = "The folder to write (must not exist).")
    Path out;

    @Override
    public void run() {
      Path written = new org.moellava.hf.MoeLlavaExporter().export(checkpoint, out);
      spec.commandLine().getOut().println("exported " + checkpoint + " to " + written);
    }
  }
}
