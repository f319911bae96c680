package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.image.ImagePreprocessor;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/**
 * Runs the reliability probe script ({@code tools/probe/probe.py}) against a real server over the fake backend,
 * with the server's default limits, and requires every case to behave. Needs {@code python3} (standard library only);
 * its absence is a failure, not a skip.
 */
@Tag("heavy")
class ProbeScriptTest {
  private static final int CONTEXT = 1024;

  @Test
  void everyProbeCaseBehaves() throws Exception {
    Path script = Path.of("..", "tools", "probe", "probe.py").toAbsolutePath().normalize();
    if (!Files.isRegularFile(script)) throw new AssertionError("probe script not found: " + script);
    try (HttpFixture http = new HttpFixture(new FakeBackend(CONTEXT, false).decodeDelayMillis(20),
        new EngineConfig(4, 16), ServerOptions.defaults(), ImagePreprocessor.AspectMode.PAD)) {
      Process probe = new ProcessBuilder("python3", script.toString(), "--base",
          "http://127.0.0.1:" + http.server.port(), "--context", Integer.toString(CONTEXT))
          .redirectErrorStream(true).start();
      String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!probe.waitFor(120, TimeUnit.SECONDS)) {
        probe.destroyForcibly();
        throw new AssertionError("the probe did not finish in 120 s:\n" + output);
      }
      System.out.println(output);
      assertEquals(0, probe.exitValue(), output);
    }
  }
}
