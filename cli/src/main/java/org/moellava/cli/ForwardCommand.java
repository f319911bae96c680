package org.moellava.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.model.EvalModel;
import org.moellava.eval.forward.ForwardTool;
import org.moellava.eval.model.CheckpointModel;
import org.moellava.eval.model.PackageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava forward}: one forward pass on given tensors, outputs under the Hugging Face fixtures' names. */
@Command(name = "forward", description = "Run one forward pass on pixel_values, input_ids and attention_mask from a "
    + "safetensors file; write image_features, logits, router_logits.{layer} (and greedy_tokens) as safetensors. "
    + "input_ids holding MoE-LLaVA's image placeholder -200 (once per image row) are expanded as MoE-LLaVA does; the "
    + "outputs then cover the expanded sequence, with expanded_attention_mask.")
public final class ForwardCommand implements Runnable {
  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", description = "The checkpoint directory (TensorFlow backend).")
  Path checkpoint;

  @Option(names = "--package", description = "A model package (ONNX Runtime backend).")
  Path packageDir;

  @Option(names = "--backend", description = "tf (with --checkpoint) or ort (with --package); default follows the source.")
  String backend;

  @Option(names = "--inputs", required = true, description = "safetensors with pixel_values f32 [B,3,H,W], input_ids i64 [B,S], attention_mask i64 [B,S].")
  Path inputs;

  @Option(names = "--prefix", defaultValue = "", description = "Read <prefix>input_ids etc. (a case of a reference "
      + "file holding several, e.g. b2.).")
  String prefix;

  @Option(names = "--out", required = true, description = "The safetensors file to write (replaced atomically).")
  Path out;

  @Option(names = "--generate", defaultValue = "0", description = "Also append N greedy tokens (greedy_tokens i64 [B,N]; no eos stop).")
  int generate;

  @Override
  public void run() {
    if ((checkpoint == null) == (packageDir == null)) {
      throw new InvalidInputException("give exactly one of --checkpoint DIR (backend tf) or --package DIR (backend ort)");
    }
    String expected = checkpoint != null ? "tf" : "ort";
    if (backend != null && !backend.equals(expected)) {
      throw new InvalidInputException("--backend " + backend + " does not run a " + (checkpoint != null
          ? "checkpoint (use --backend tf)" : "package (use --backend ort)"));
    }
    if (generate < 0) throw new InvalidInputException("--generate must be >= 0, got " + generate);
    ForwardTool.Inputs in = ForwardTool.read(inputs, prefix);
    long start = System.nanoTime();
    ForwardTool.Outputs result;
    try (EvalModel model = checkpoint != null ? CheckpointModel.open(checkpoint) : PackageModel.open(packageDir)) {
      result = ForwardTool.run(model.backend(), in, generate);
    }
    result.write(out);
    spec.commandLine().getOut().printf(Locale.ROOT, "input_ids %s -> logits %s, router_logits for MoE layers %s%s%s; "
            + "wrote %s in %.2f s%n", in.inputIds().shapeText(), result.logits().shapeText(),
        result.routerLogits().keySet(), result.imageFeatures() == null ? "" : ", image_features " + result.imageFeatures().shapeText(),
        result.greedyTokens() == null ? "" : ", greedy_tokens " + java.util.Arrays.toString(result.greedyTokens().shape()),
        out, (System.nanoTime() - start) / 1e9);
  }
}
