package org.moellava.serve.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import org.moellava.serve.fake.TestImages;
import org.moellava.serve.http.ChatServer;
import org.moellava.serve.http.ServerOptions;
import org.moellava.serve.fake.ClipImages;

/**
 * End to end in a real browser: the server (fake backend) on 127.0.0.1, its web page at {@code /} in headless
 * Chromium driven over the DevTools protocol: upload an image through the file input, ask a question, and
 * check that the streamed answer and the expert heatmap appear, and that they match what the API returns for
 * the same request. Skipped where {@code /usr/bin/chromium} is absent outside CI; in CI it must exist.
 */
class BrowserChatTest {
  @TempDir Path tmp;

  @Test
  void webPageStreamsAnAnswerAndDrawsTheExpertHeatmap() throws Exception {
    boolean present = Files.isExecutable(HeadlessChromium.BINARY);
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(present, HeadlessChromium.BINARY + " is absent (apt-get install chromium); browser test skipped");
    }
    assertTrue(present, "CI=true but " + HeadlessChromium.BINARY + " is missing: .ci/run installs it");

    FakeBackend backend = new FakeBackend().eosAtPosition(-1);
    FakeTokenizer tokenizer = new FakeTokenizer();
    ServerOptions options = ServerOptions.defaults().withPort(0);
    Path image = tmp.resolve("red.png");
    Files.write(image, TestImages.png(TestImages.solid(32, 24, Color.RED)));
    try (ChatServer server = ChatServer.create(backend, tokenizer, tokenizer,
        ClipImages.decoder(FakeBackend.IMAGE_SIZE, options.maxImagePixels(), options.maxImageBytes()),
        new EngineConfig(4, 16), options).start();
         HeadlessChromium chromium = new HeadlessChromium(Files.createDirectory(tmp.resolve("profile")));
         CdpClient page = chromium.attachToPage()) {
      page.call("Page.enable", null);
      page.call("Page.navigate", CdpClient.params().put("url", "http://127.0.0.1:" + server.port() + "/"));
      waitFor(page, "document.readyState === 'complete' && document.getElementById('send') !== null");

      // upload through the real file input (fires its change event), then wait for the preview
      String inputId = page.call("Runtime.evaluate", CdpClient.params()
          .put("expression", "document.getElementById('image')")).path("result").path("objectId").asText();
      var files = CdpClient.params().put("objectId", inputId);
      files.putArray("files").add(image.toString());
      page.call("DOM.setFileInputFiles", files);
      waitFor(page, "!document.getElementById('preview').hidden");

      page.evaluate("document.getElementById('question').value = 'What colour is it?';"
          + "document.getElementById('maxTokens').value = '6'; document.getElementById('send').click(); true");
      waitFor(page, "document.getElementById('send').disabled === false"
          + " && document.getElementById('answer').textContent.length > 0");

      String answer = page.evaluate("document.getElementById('answer').textContent").asText();
      String error = page.evaluate("document.getElementById('error').textContent").asText();
      JsonNode heat = page.evaluate("(() => { const t = document.querySelector('#heatmap table.heat');"
          + " if (!t) return null; return { rows: t.rows.length, columns: t.rows[0].cells.length - 1,"
          + " chosen: [...t.querySelectorAll('td')].filter(c => c.style.background).length }; })()");
      String load = page.evaluate("document.getElementById('load').textContent").asText();

      assertEquals("", error, "the page shows no error");
      assertFalse(answer.isBlank(), "the streamed answer appears");
      assertFalse(heat.isNull(), "the expert heatmap appears");
      int moeLayers = backend.info().moeLayers().size();
      int expertRows = heat.get("rows").asInt() - 1; // the page draws experts 0..(highest chosen) per layer
      assertEquals(0, expertRows % moeLayers, "the same expert rows for each MoE layer: " + expertRows);
      assertTrue(expertRows / moeLayers >= FakeBackend.K && expertRows / moeLayers <= FakeBackend.EXPERTS,
          "expert rows per layer: " + expertRows / moeLayers);
      assertEquals(6, heat.get("columns").asInt(), "one column per generated token (max tokens 6, no eos)");
      assertEquals(6 * moeLayers * FakeBackend.K, heat.get("chosen").asInt(), "k chosen experts per token and layer");
      assertTrue(load.contains("layer 0:") && load.contains("layer 1:"), load);
      assertEquals(expectedAnswer(server, image), answer, "the page shows exactly what the API streams");
    }
  }

  /** The same request through the API (greedy, so deterministic). */
  private static String expectedAnswer(ChatServer server, Path image) throws Exception {
    String dataUrl = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(image));
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
        + dataUrl + "\"}},{\"type\":\"text\",\"text\":\"What colour is it?\"}]}],\"max_tokens\":6,\"temperature\":0}";
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body())
        .at("/choices/0/message/content").asText();
  }

  private static void waitFor(CdpClient page, String condition) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!page.evaluate("!!(" + condition + ")").asBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("page never reached: " + condition);
      Thread.sleep(50);
    }
  }
}
