package org.moellava.serve.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TEST HELPER: Debian's {@code chromium}, headless with a fresh profile and the DevTools port chosen by the
 * browser ({@code --remote-debugging-port=0}, read back from {@code DevToolsActivePort}). Close kills it.
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/chromium");

  private final Process process;
  private final int port;

  HeadlessChromium(Path profile) throws Exception {
    process = new ProcessBuilder(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--remote-allow-origins=*", "--remote-debugging-port=0",
        "--user-data-dir=" + profile, "about:blank"))
        .redirectErrorStream(true).redirectOutput(profile.resolveSibling("chromium.log").toFile()).start();
    Path activePort = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.isRegularFile(activePort) || Files.readAllLines(activePort).isEmpty()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        close();
        throw new IllegalStateException("chromium did not open its DevTools port: "
            + Files.readString(profile.resolveSibling("chromium.log")));
      }
      Thread.sleep(100);
    }
    port = Integer.parseInt(Files.readAllLines(activePort).get(0).trim());
  }

  /** A DevTools client attached to the first page target. */
  CdpClient attachToPage() throws Exception {
    HttpResponse<String> list = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
        HttpResponse.BodyHandlers.ofString());
    for (JsonNode target : new ObjectMapper().readTree(list.body())) {
      if (target.path("type").asText().equals("page")) {
        return new CdpClient(URI.create(target.get("webSocketDebuggerUrl").asText()));
      }
    }
    throw new IllegalStateException("chromium has no page target: " + list.body());
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
