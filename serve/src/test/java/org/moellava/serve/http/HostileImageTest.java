package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.withImage;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.moellava.image.ImagePreprocessor;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.TestImages;

/**
 * Images whose header is small but whose padding to a square is huge (a 26754x1 strip: 2.1 GB padded) or whose
 * size overflows an int when squared (16,000,000x1) are refused with 400 from the header, 8 at a time, without
 * the server's memory growing: the pixel limit bounds the padded square, and the aspect ratio is bounded.
 */
class HostileImageTest {

  @Test
  void thinStripsAreRefusedFromTheirHeaderWithoutGrowingMemory() throws Exception {
    byte[] strip = TestImages.png(new BufferedImage(26754, 1, BufferedImage.TYPE_INT_RGB));
    byte[] wideHeader = TestImages.pngHeaderOnly(16_000_000, 1);
    byte[] paddedTooLarge = TestImages.png(new BufferedImage(4100, 200, BufferedImage.TYPE_INT_RGB));
    ServerOptions options = ServerOptions.defaults(); // 4096 x 4096 pixels, 10 MB
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(4, 32), options,
        ImagePreprocessor.AspectMode.PAD)) {
      post8(http, strip); // warm-up: class loading and Jetty's buffers are not what this measures
      long before = rssBytes();
      for (byte[] image : List.of(strip, wideHeader, paddedTooLarge)) {
        for (HttpResponse<String> r : post8(http, image)) {
          assertEquals(400, r.statusCode(), r.body());
          assertTrue(r.body().contains("image is"), r.body());
        }
      }
      long growth = rssBytes() - before;
      assertTrue(growth < 100L << 20, "RSS grew by " + (growth >> 20) + " MB for 24 refused images");
    }
  }

  private static List<HttpResponse<String>> post8(HttpFixture http, byte[] image) throws Exception {
    String body = withImage(image, "what is this?", "");
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      futures.add(http.client.sendAsync(http.postRequest(body, null), HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> out = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : futures) out.add(f.get());
    return out;
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
