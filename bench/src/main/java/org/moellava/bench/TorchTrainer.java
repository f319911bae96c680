package org.moellava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.moellava.config.StageConfig;
import org.moellava.error.InvalidInputException;

/**
 * The PyTorch eager reference of {@code bench train}: {@code tools/bench/torch_train.py} (shipped in this jar) run by
 * a Python with torch and transformers, on a stage's starting weights exported with {@code export hf} and the same
 * micro-batches.
 */
final class TorchTrainer {
  /** The environment variable naming the Python to use when {@code --python} is not given. */
  static final String PYTHON_ENV = "MOELLAVA_PYTHON";
  private static final String SCRIPT = "torch_train.py";
  /** Where the bench jar holds it (tools/bench/*.py are packed under python/). */
  private static final String RESOURCE = "python/" + SCRIPT;
  /** OpenMP's wait policy for the PyTorch process unless the environment sets one. */
  static final String OMP_WAIT_POLICY = "PASSIVE";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String python;
  private final String versions;

  private TorchTrainer(String python, String versions) {
    this.python = python;
    this.versions = versions;
  }

  /**
   * The Python to use: {@code explicit} (from {@code --python}), else {@code $MOELLAVA_PYTHON}, else {@code python3}
   * on the PATH.
   */
  record Choice(String python, boolean explicit) {
    static Choice of(String option) {
      if (option != null) return new Choice(option, true);
      String env = System.getenv(PYTHON_ENV);
      if (env != null && !env.isBlank()) return new Choice(env, true);
      return new Choice("python3", false);
    }
  }

  /** The outcome of looking for a usable Python: the trainer, or why there is none. */
  record Found(TorchTrainer trainer, String skipReason) {}

  /**
   * Checks that {@code choice} imports torch, transformers and safetensors.
   *
   * @throws InvalidInputException when a Python given explicitly ({@code --python}, {@code MOELLAVA_PYTHON}) cannot
   */
  static Found find(Choice choice) {
    String probe = "import torch, transformers, safetensors; print(torch.__version__, transformers.__version__)";
    Outcome o;
    try {
      o = exec(List.of(choice.python(), "-c", probe), 120);
    } catch (IOException e) {
      o = new Outcome(-1, "", e.getMessage());
    }
    if (o.code() == 0) {
      String[] v = o.stdout().trim().split(" ");
      return new Found(new TorchTrainer(choice.python(), "torch " + v[0] + ", transformers " + v[v.length - 1]), null);
    }
    String why = choice.python() + " cannot import torch, transformers and safetensors (" + lastLine(o.stderr()) + ")";
    if (choice.explicit()) throw new InvalidInputException(why);
    return new Found(null, why + "; pass --python PATH or set " + PYTHON_ENV);
  }

  /** "torch X, transformers Y". */
  String versions() {
    return versions;
  }

  /** What one PyTorch run measured. */
  record Run(double tokensPerSecond, double firstLoss, double firstCe, double medianStepSeconds) {}

  /** Trains {@code hfModel} on {@code batches} (see the script) and returns its figures. */
  Run train(Path hfModel, Path batches, String stage, StageConfig settings, int warmup, int threads, Path work) {
    Path script = work.resolve(SCRIPT);
    try {
      if (!Files.exists(script)) {
        try (InputStream in = TorchTrainer.class.getResourceAsStream(RESOURCE)) {
          if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the bench jar");
          Files.copy(in, script);
        }
      }
      List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--model", hfModel.toString(),
          "--batches", batches.toString(), "--stage", stage, "--threads", Integer.toString(threads),
          "--warmup", Integer.toString(warmup),
          "--weight-decay", Double.toString(settings.weightDecay()),
          "--max-grad-norm", Double.toString(settings.maxGradNorm())));
      Outcome o = exec(cmd, 3600);
      if (o.code() != 0) {
        throw new IllegalStateException("the PyTorch trainer failed (exit " + o.code() + "): " + lastLine(o.stderr()));
      }
      JsonNode r = JSON.readTree(lastLine(o.stdout()));
      return new Run(r.get("tokens_per_s").asDouble(), r.get("losses").get(0).asDouble(),
          r.get("ce").get(0).asDouble(), r.get("step_s_median").asDouble());
    } catch (IOException e) {
      throw new IllegalStateException("the PyTorch trainer could not run: " + e.getMessage(), e);
    }
  }

  private record Outcome(int code, String stdout, String stderr) {}

  private static Outcome exec(List<String> cmd, long timeoutSeconds) throws IOException {
    Path out = Files.createTempFile("moellava-torch", ".out");
    Path err = Files.createTempFile("moellava-torch", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      // PyTorch's OpenMP threads spin at their barriers by default: on a shared machine (more runnable threads than
      // cores) a step then takes 10-40x longer; passive waiting is its best setting there. A caller's own
      // OMP_WAIT_POLICY is kept.
      pb.environment().putIfAbsent("OMP_WAIT_POLICY", OMP_WAIT_POLICY);
      Process p = pb.start();
      try {
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IOException(String.format(Locale.ROOT, "%s did not finish within %d s", cmd.get(0),
              timeoutSeconds));
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines.length == 0 || lines[lines.length - 1].isBlank() ? "no output" : lines[lines.length - 1].strip();
  }
}
