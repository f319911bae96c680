package org.moellava.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

class ImagePreprocessorTest {
  private static final List<Double> MEAN = List.of(0.5, 0.25, 0.0);
  private static final List<Double> STD = List.of(0.5, 0.25, 1.0);

  private static RgbImage image(int w, int h, int[][] rgbPerPixel) {
    byte[] data = new byte[w * h * 3];
    for (int i = 0; i < w * h; i++) {
      for (int c = 0; c < 3; c++) data[i * 3 + c] = (byte) rgbPerPixel[i][c];
    }
    return new RgbImage(w, h, data);
  }

  @Test
  void normalisesAndLaysOutChannelsFirst() {
    // 2x2 image, already the target size: only rescale and normalise apply.
    RgbImage img = image(2, 2, new int[][] {{255, 0, 51}, {0, 255, 255}, {51, 102, 0}, {255, 255, 255}});
    float[] out = new ImagePreprocessor(2, MEAN, STD, ImagePreprocessor.AspectMode.CROP).preprocess(img);
    assertEquals(12, out.length);
    // channel 0 (R): (v/255 - 0.5) / 0.5
    assertEquals(1.0f, out[0], 1e-6);
    assertEquals(-1.0f, out[1], 1e-6);
    assertEquals(-0.6f, out[2], 1e-6);
    assertEquals(1.0f, out[3], 1e-6);
    // channel 1 (G): (v/255 - 0.25) / 0.25
    assertEquals(-1.0f, out[4], 1e-6);
    assertEquals(3.0f, out[5], 1e-6);
    assertEquals(0.6f, out[6], 1e-6);
    // channel 2 (B): v/255
    assertEquals(0.2f, out[8], 1e-6);
    assertEquals(1.0f, out[9], 1e-6);
    assertEquals(0.0f, out[10], 1e-6);
  }

  @Test
  void bicubicDownscaleMatchesHandComputedPillowWeights() {
    // Every row is [0, 100, 200, 255] (grey). 4 -> 2: scale 2, support 4, kernel a = -0.5.
    // Output 0: centre 1.0, taps x=0..3 at distances (x + 0.5 - 1)/2 = -0.25, 0.25, 0.75, 1.25.
    double k025 = 0.8671875; // (1.5*0.25 - 2.5)*0.25^2 + 1
    double k075 = 0.2265625; // (1.5*0.75 - 2.5)*0.75^2 + 1
    double k125 = -0.0703125; // (((1.25 - 5)*1.25 + 8)*1.25 - 4) * -0.5
    double sum = 2 * k025 + k075 + k125;
    double out0 = (0 * k025 + 100 * k025 + 200 * k075 + 255 * k125) / sum; // 60.35
    double out1 = (0 * k125 + 100 * k075 + 200 * k025 + 255 * k025) / sum; // 220.68
    int[][] px = new int[16][];
    int[] row = {0, 100, 200, 255};
    for (int i = 0; i < 16; i++) px[i] = new int[] {row[i % 4], row[i % 4], row[i % 4]};
    RgbImage resized = BicubicResize.resize(image(4, 4, px), 2, 2);
    assertEquals(Math.round(out0), resized.get(0, 0, 0));
    assertEquals(Math.round(out1), resized.get(1, 0, 0));
    assertEquals(Math.round(out0), resized.get(0, 1, 2));
    assertEquals(60, resized.get(0, 0, 1));
    assertEquals(221, resized.get(1, 1, 1));

    float[] values = new ImagePreprocessor(2, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0),
        ImagePreprocessor.AspectMode.CROP).preprocess(image(4, 4, px));
    assertEquals(60 / 255.0, values[0], 1e-6);
    assertEquals(221 / 255.0, values[1], 1e-6);
  }

  @Test
  void cropModeTakesTheCentreOfATallImage() {
    // 2 wide, 4 tall: shortest side already 2, so the crop keeps rows 1 and 2.
    int[][] px = new int[8][];
    for (int i = 0; i < 8; i++) px[i] = new int[] {(i / 2) * 50, 0, 0};
    float[] out = new ImagePreprocessor(2, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0),
        ImagePreprocessor.AspectMode.CROP).preprocess(image(2, 4, px));
    assertEquals(50 / 255.0, out[0], 1e-6);
    assertEquals(50 / 255.0, out[1], 1e-6);
    assertEquals(100 / 255.0, out[2], 1e-6);
    assertEquals(100 / 255.0, out[3], 1e-6);
  }

  @Test
  void padModeCentresTheImageOnTheMeanColour() {
    // 4 wide, 2 tall, white: padded to 4x4 with rows 1-2 white and rows 0, 3 = int(mean*255) = (127, 63, 0).
    int[][] px = new int[8][];
    for (int i = 0; i < 8; i++) px[i] = new int[] {255, 255, 255};
    float[] out = new ImagePreprocessor(4, MEAN, STD, ImagePreprocessor.AspectMode.PAD).preprocess(image(4, 2, px));
    int plane = 16;
    assertEquals((127 / 255.0 - 0.5) / 0.5, out[0], 1e-6); // R, row 0
    assertEquals((63 / 255.0 - 0.25) / 0.25, out[plane + 3], 1e-6); // G, row 0
    assertEquals(0.0, out[2 * plane + 15], 1e-6); // B, row 3: mean 0 -> 0
    assertEquals(1.0, out[4], 1e-6); // R, row 1 white
    assertEquals(1.0, out[2 * plane + 11], 1e-6); // B, row 2 white: 255/255
  }

  @Test
  void parsesAspectModes() {
    assertEquals(ImagePreprocessor.AspectMode.PAD, ImagePreprocessor.AspectMode.parse("pad"));
    assertThrows(ConfigException.class, () -> ImagePreprocessor.AspectMode.parse("stretch"));
  }

  @Test
  void workIsBoundedBeforeAnyAllocation() {
    ImagePreprocessor pad = new ImagePreprocessor(336, List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5),
        ImagePreprocessor.AspectMode.PAD);
    ImagePreprocessor crop = new ImagePreprocessor(336, List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5),
        ImagePreprocessor.AspectMode.CROP);
    long limit = 4096L * 4096;
    // Pad: the square of the long side. Crop: 336 x (336 * 5000 / 300) = 336 x 5600.
    assertEquals(5000L * 5000, pad.workPixels(5000, 300));
    assertEquals(336L * 5600, crop.workPixels(5000, 300));
    InvalidInputException padded = assertThrows(InvalidInputException.class,
        () -> pad.checkWork(5000, 300, limit, "x.png"));
    assertTrue(padded.getMessage().contains("x.png: image is 5000x300") && padded.getMessage().contains("25000000"),
        padded.getMessage());
    crop.checkWork(5000, 300, limit, "x.png"); // the same image is fine when it is only resized
    InvalidInputException strip = assertThrows(InvalidInputException.class,
        () -> crop.checkWork(26754, 1, limit, "strip"));
    assertTrue(strip.getMessage().contains("aspect ratio 26754:1"), strip.getMessage());
    assertThrows(InvalidInputException.class, () -> pad.checkWork(16_000_000, 1, limit, "wide"));
    // preprocess refuses a decoded strip before padding it (26754^2 pixels would be 2.1 GB)
    RgbImage decodedStrip = RgbImage.filled(26754, 1, 0, 0, 0);
    assertThrows(InvalidInputException.class, () -> pad.preprocess(decodedStrip));
  }

  /**
   * MoE-LLaVA's SigLIP preprocessing (the -384 variant): {@code expand2square} with {@code int(0.5 * 255)} = 127 grey,
   * then transformers' SiglipImageProcessor (PIL bicubic resize to S x S, rescale, mean = std = 0.5). Expected values
   * from that code ({@code tools/fixtures/moellava/siglip_preprocess.py}: pillow 12.3.0, transformers 5.18.0), for a
   * wide image upscaled, a tall one downscaled (antialiased) and a square one. Every value within one 8-bit level
   * (1/127.5: Pillow's fixed-point rounding may differ on a boundary, see BicubicResize), nearly all exact.
   */
  @Test
  void siglipPaddingAndResizeMatchTransformers() throws Exception {
    com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        ImagePreprocessorTest.class.getResourceAsStream("siglip_preprocess.json"));
    int size = root.get("size").asInt();
    ImagePreprocessor pre = new ImagePreprocessor(size, org.moellava.config.VisionStyle.SIGLIP.imageMean(),
        org.moellava.config.VisionStyle.SIGLIP.imageStd(), ImagePreprocessor.AspectMode.PAD);
    int compared = 0;
    int exact = 0;
    for (com.fasterxml.jackson.databind.JsonNode c : root.get("cases")) {
      int w = c.get("width").asInt();
      int h = c.get("height").asInt();
      byte[] rgb = new byte[w * h * 3];
      for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) c.get("rgb").get(i).asInt();
      float[] got = pre.preprocess(new RgbImage(w, h, rgb));
      com.fasterxml.jackson.databind.JsonNode want = c.get("pixel_values");
      assertEquals(want.size(), got.length, c.get("name").asText());
      for (int i = 0; i < got.length; i++) {
        double d = Math.abs(got[i] - want.get(i).asDouble());
        assertTrue(d <= 1 / 127.5 + 1e-6, c.get("name").asText() + " value " + i + ": " + got[i] + " vs "
            + want.get(i).asDouble());
        if (d <= 1e-6) exact++;
        compared++;
      }
    }
    assertTrue(exact >= 0.97 * compared, exact + " of " + compared + " exact");
    System.out.println("siglip preprocessing: " + exact + " of " + compared + " values exact, the rest within one level");
  }
}
