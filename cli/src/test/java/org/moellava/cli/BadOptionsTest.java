package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out-of-range option values are usage errors: exit 2 and one line naming the value, never "internal error" with
 * exit 1. None of these needs a model: each is refused before one is opened (the package path does not exist).
 */
class BadOptionsTest {
  @TempDir Path dir;

  private void refused(String expected, String... args) {
    CliRunner r = CliRunner.run(args);
    assertEquals(2, r.exitCode(), String.join(" ", args) + " -> " + r.err());
    assertFalse(r.err().contains("internal error"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(expected), String.join(" ", args) + " -> " + r.err());
  }

  @Test
  void generateSamplingValues() {
    String pkg = dir.resolve("no-such-package").toString();
    refused("temperature must be a finite number >= 0, got NaN",
        "generate", "--package", pkg, "--prompt", "hi", "--temperature", "NaN");
    refused("top_p must be in (0, 1], got 0.0", "generate", "--package", pkg, "--prompt", "hi", "--top-p", "0");
    refused("threads must be >= 0", "generate", "--package", pkg, "--prompt", "hi", "--threads", "-1");
  }

  @Test
  void serveLimits() {
    String pkg = dir.resolve("no-such-package").toString();
    refused("port must be in [0, 65535], got 99999", "serve", "--package", pkg, "--port", "99999");
    refused("max batch must be >= 1, got 0", "serve", "--package", pkg, "--max-batch", "0");
    refused("queue size must be >= 1, got -1", "serve", "--package", pkg, "--queue", "-1");
    refused("max n must be in [1, 128], got 0", "serve", "--package", pkg, "--max-n", "0");
    refused("allowed origin 'app.example' is not of the form http(s)://host[:port]", "serve", "--package", pkg,
        "--allowed-origins", "http://ok.example,app.example");
    refused("--allowed-origins '*' would let every web page", "serve", "--package", pkg, "--allowed-origins", "*");
    refused("served model name 'a' is given twice", "serve", "--package", pkg, "--served-model-name", "a,b,a");
  }

  @Test
  void trainThreads() {
    refused("--threads must be positive, got -1", "train", "--config", "tiny", "--stage", "1", "--data", "synth",
        "--out", dir.resolve("run").toString(), "--threads", "-1");
    refused("--checkpoint-minutes must be a number >= 0, got NaN", "train", "--config", "tiny", "--stage", "1",
        "--data", "synth", "--out", dir.resolve("run").toString(), "--checkpoint-minutes", "NaN");
  }

  @Test
  void benchBackendsAndProfileOptions() {
    refused("--quantize int9: expected int8, int4 or both (int8,int4), or int8-qdq", "bench", "backends", "--config", "tiny",
        "--quantize", "int9");
    refused("--python " + dir.resolve("no-python") + ": not an executable file", "bench", "backends", "--config",
        "tiny", "--python", dir.resolve("no-python").toString());
    refused("--threads must be at least 1, got 0", "bench", "profile", "--config", "tiny", "--threads", "0");
  }
}
