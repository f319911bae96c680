package org.moellava.serve.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.fake.ClipImages;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import static org.moellava.serve.fake.TestImages.png;
import static org.moellava.serve.fake.TestImages.pngHeaderOnly;
import static org.moellava.serve.fake.TestImages.solid;

class PromptTest {
  private static final FakeTokenizer TOKENIZER = new FakeTokenizer();

  @Test
  void templateFollowsTheLlavaLayoutWithImageTokensAndEos() {
    ChatTemplate template = new ChatTemplate(TOKENIZER, new FakeBackend().info());
    int[] ids = template.build(List.of(new ChatMessage("system", "Be brief.", false),
        new ChatMessage("user", "What?", true), new ChatMessage("assistant", "A cat.", false),
        new ChatMessage("user", "Color?", false)));
    // expected, assembled by hand: text pieces, 4 image tokens, eos after the earlier answer
    int[] expected = concat(TOKENIZER.encode("Be brief. USER: "), new int[] {2, 2, 2, 2},
        TOKENIZER.encode("\nWhat? ASSISTANT: A cat."), new int[] {1}, TOKENIZER.encode("USER: Color? ASSISTANT:"));
    assertArrayEquals(expected, ids);
  }

  @Test
  void templateUsesTheDefaultSystemPromptAndRejectsBadConversations() {
    ChatTemplate template = new ChatTemplate(TOKENIZER, new FakeBackend().info());
    assertArrayEquals(TOKENIZER.encode(ChatTemplate.DEFAULT_SYSTEM + " USER: Hi ASSISTANT:"),
        template.build(List.of(new ChatMessage("user", "Hi", false))));
    assertThrows(InvalidInputException.class,
        () -> template.build(List.of(new ChatMessage("assistant", "Hi", false))));
    assertThrows(InvalidInputException.class, () -> template.build(List.of(
        new ChatMessage("user", "a", true), new ChatMessage("assistant", "b", false),
        new ChatMessage("user", "c", true))));
  }

  @Test
  void decoderNormalisesWithClipMeanAndStd() throws IOException {
    ImageDecoder decoder = ClipImages.decoder(8, 1 << 20, 1 << 20);
    float[] pixels = decoder.decode(png(solid(30, 20, new Color(255, 128, 0))));
    assertEquals(3 * 64, pixels.length);
    double[] expected = {(1.0 - 0.48145466) / 0.26862954, (128 / 255.0 - 0.4578275) / 0.26130258,
        (0.0 - 0.40821073) / 0.27577711};
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < 64; i++) {
        assertEquals(expected[c], pixels[c * 64 + i], 1e-5, "channel " + c + " pixel " + i);
      }
    }
  }

  @Test
  void decoderRejectsNonImagesAndOversizedImages() throws IOException {
    ImageDecoder decoder = ClipImages.decoder(8, 100 * 100, 1 << 20);
    assertThrows(InvalidInputException.class,
        () -> decoder.decode("definitely not an image".getBytes(StandardCharsets.UTF_8)));
    InvalidInputException tooMany = assertThrows(InvalidInputException.class,
        () -> decoder.decode(png(solid(101, 100, Color.RED))));
    assertTrue(tooMany.getMessage().contains("101x100"), tooMany.getMessage());
    assertThrows(InvalidInputException.class, () -> ClipImages.decoder(8, 1 << 20, 100).decode(png(solid(50, 50,
        Color.RED))));
  }

  @Test
  void decoderRefusesADecompressionBombFromItsHeader() {
    ImageDecoder decoder = ClipImages.decoder(8, 4096L * 4096, 1 << 20);
    long start = System.nanoTime();
    InvalidInputException bomb = assertThrows(InvalidInputException.class,
        () -> decoder.decode(pngHeaderOnly(100_000, 100_000)));
    assertTrue(bomb.getMessage().contains("100000x100000"), bomb.getMessage());
    assertTrue(System.nanoTime() - start < 2_000_000_000L, "the bomb was decoded instead of refused");
  }

  private static int[] concat(int[]... parts) {
    return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
  }
}
