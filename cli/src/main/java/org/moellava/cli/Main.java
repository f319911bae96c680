package org.moellava.cli;

import java.io.PrintWriter;
import org.moellava.error.MoeLlavaException;
import org.moellava.io.NativeEnvironment;
import picocli.CommandLine;

/** Entry point of the {@code moellava} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code; output goes to {@code out} and {@code err}. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    NativeEnvironment.configure();
    org.moellava.runtime.ort.OrtNatives.configure();
    MoellavaCommand root = new MoellavaCommand();
    CommandLine cl = new CommandLine(root);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (root.debug) {
        ex.printStackTrace(commandLine.getErr());
      }
      if (ex instanceof MoeLlavaException me) {
        commandLine.getErr().println("moellava: error: " + me.getMessage());
        return me.exitCode();
      }
      commandLine.getErr().println("moellava: internal error: " + ex.getClass().getSimpleName() + ": "
          + firstLine(ex.getMessage()) + (root.debug ? "" : " (run with --debug for the stack trace)"));
      return MoeLlavaException.EXIT_FAILURE;
    });
    cl.setParameterExceptionHandler((ex, args2) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("moellava: usage error: " + firstLine(ex.getMessage()));
      c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
      return MoeLlavaException.EXIT_USAGE;
    });
    return cl.execute(args);
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
