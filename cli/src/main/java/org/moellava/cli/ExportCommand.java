package org.moellava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.error.InvalidInputException;
import org.moellava.hf.HfExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava export}: deployable artifacts from a checkpoint. */
@Command(name = "export", description = "Export a checkpoint.", subcommands = {ExportCommand.Hf.class})
public final class ExportCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
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
}
