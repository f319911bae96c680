package org.moellava.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The root {@code moellava} command; its subcommands do the work. */
@Command(
    name = "moellava",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    versionProvider = ProjectVersion.class,
    description = "Sparse mixture-of-experts vision-language models (MoE-LLaVA) on the JVM: "
        + "TensorFlow Java training, ONNX/TensorRT export, low-latency serving.",
    subcommands = {
        DemoCommand.class,
        VersionCommand.class,
        ConfigCommand.class,
        DataCommand.class,
        TrainCommand.class,
        ImportCommand.class,
        InitRandomCommand.class,
        ExportCommand.class,
        EvalCommand.class,
        AnalyzeCommand.class,
        ForwardCommand.class,
        ConformanceCommand.class,
        ServeCommand.class,
        GenerateCommand.class,
        BenchCommand.class,
    })
public final class MoellavaCommand implements Runnable {
  @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
  boolean debug;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
