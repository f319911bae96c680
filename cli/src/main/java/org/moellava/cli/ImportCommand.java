package org.moellava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.moellava.error.InvalidInputException;
import org.moellava.hf.HfImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava import hf}: a Hugging Face LLaVA (CLIP + Qwen2-MoE) folder to a project checkpoint;
 * {@code moellava import moellava}: a published MoE-LLaVA checkpoint (StableLM-2, Phi-2, Qwen-1).
 */
@Command(name = "import", description = "Import weights from other ecosystems.",
    subcommands = {ImportCommand.Hf.class, ImportCommand.MoeLlava.class})
public final class ImportCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Reads config.json, (sharded) safetensors and tokenizer.json; writes a checkpoint atomically. */
  @Command(name = "hf", description = "Import a transformers LlavaForConditionalGeneration folder (CLIP vision tower, "
      + "Qwen2-MoE text model) as a checkpoint.")
  static final class Hf implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, description = "The Hugging Face folder (config.json, model*.safetensors).")
    Path from;

    @Option(names = "--out", required = true, description = "The checkpoint directory to write (must not exist).")
    Path out;

    @Option(names = "--allow-extra", description = "Ignore tensors the mapping does not know instead of failing.")
    boolean allowExtra;

    @Override
    public void run() {
      if (Files.exists(out)) {
        throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
      }
      HfImporter.Result r = new HfImporter(allowExtra).importTo(from, out);
      long params = r.variables().values().stream().mapToLong(t -> t.data().length).sum();
      spec.commandLine().getOut().printf(Locale.ROOT, "imported %d tensors (%,d parameters; MoE layers %s, E=%d, k=%d) from %s to %s%n",
          r.variables().size(), params, r.config().textConfig().moeLayerIndices(), r.config().textConfig().numExperts(),
          r.config().textConfig().numExpertsPerTok(), from, out);
    }
  }

  /** Reads a MoE-LLaVA folder (config.json, safetensors, tokenizer files); writes a checkpoint atomically. */
  @Command(name = "moellava", description = "Import a published MoE-LLaVA checkpoint (model_type moe_llava_stablelm, "
      + "moe_llava_phi or moe_llava_qwen; safetensors F32/F16/BF16, single or sharded) as a checkpoint; its tiktoken or "
      + "vocab/merges tokenizer becomes tokenizer.json.")
  static final class MoeLlava implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, description = "The MoE-LLaVA folder (config.json, model*.safetensors).")
    Path from;

    @Option(names = "--vision", description = "The vision tower's folder (a local copy of mm_image_tower: its "
        + "config.json, and its weights when the checkpoint has none). Needed unless the tower is a known published "
        + "one and its weights are in the checkpoint.")
    Path vision;

    @Option(names = "--out", required = true, description = "The checkpoint directory to write (must not exist).")
    Path out;

    @Override
    public void run() {
      if (Files.exists(out)) {
        throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
      }
      org.moellava.hf.MoeLlavaImporter.Result r = new org.moellava.hf.MoeLlavaImporter().importTo(from, vision, out);
      var t = r.config().textConfig();
      var o = spec.commandLine().getOut();
      o.printf(Locale.ROOT, "imported %s: %d tensors (%,d parameters; decoder_style %s, MoE layers %s, E=%d, k=%d%s) "
              + "from %s to %s%n", r.family(), r.tensors(), r.parameters(), t.decoderStyle(), t.moeLayerIndices(),
          t.numExperts(), t.numExpertsPerTok(), r.tokenizerJson() == null ? ", no tokenizer" : ", tokenizer.json",
          from, out);
      for (String note : r.notes()) o.println("note: " + note);
    }
  }
}
