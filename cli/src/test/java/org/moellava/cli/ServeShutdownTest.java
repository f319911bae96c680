package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.text.WordLevelTokenizerJson;

/** {@code moellava serve} in its own JVM: SIGTERM runs the drain and the process exits, instead of dying mid-stream. */
class ServeShutdownTest {
  @TempDir Path dir;

  @Test
  void sigtermDrainsAndExits() throws Exception {
    Path pkg = tinyPackage();
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss4m",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--package", pkg.toString(),
        "--port", "0", "--drain-seconds", "5").redirectErrorStream(true).start();
    StringBuffer log = new StringBuffer(); // the reader thread drains the output: destroy() closes the streams
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) log.append(line).append('\n');
      } catch (java.io.IOException e) {
        log.append("[output closed: ").append(e.getMessage()).append("]\n");
      }
    });
    reader.start();
    try {
      int port = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Pattern serving = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)");
      while (port < 0 && server.isAlive() && System.nanoTime() < deadline) {
        Matcher m = serving.matcher(log);
        if (m.find()) port = Integer.parseInt(m.group(1));
        else Thread.sleep(50);
      }
      assertTrue(port > 0, "the server did not start:\n" + log);
      HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), health.body());
      ProcessHandle.of(server.pid()).orElseThrow().destroy(); // SIGTERM, leaving the streams open
      assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server did not exit after SIGTERM");
      reader.join(5_000);
      assertTrue(log.toString().contains("moellava: drained"), log.toString());
      assertEquals(143, server.exitValue(), "exit status after SIGTERM (128 + 15)\n" + log);
    } finally {
      server.destroyForcibly();
    }
  }

  private Path tinyPackage() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, 24, 2, 4, 2, 64, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    ModelConfig config = ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text,
        tiny.imageMean(), tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "serve test");
    byte[] tokenizer = WordLevelTokenizerJson.build(List.of("<pad>", "<eos>", "<image>"), "<pad>", List.of("a"), 8)
        .getBytes(StandardCharsets.UTF_8);
    Path checkpoint = dir.resolve("ck");
    new CheckpointWriter().write(checkpoint, config, tokenizer, WeightInitializer.randomWeights(config, 3),
        TrainingState.imported(3));
    CliRunner export = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out",
        dir.resolve("pkg").toString());
    assertEquals(0, export.exitCode(), export.err());
    assertTrue(Files.isRegularFile(dir.resolve("pkg").resolve("model.json")));
    return dir.resolve("pkg");
  }
}
