package org.moellava.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;

class ImageFilesTest {
  @TempDir Path dir;

  @Test
  void pngRoundTripIsLossless() throws Exception {
    RgbImage img = RgbImage.filled(3, 2, 10, 20, 30);
    img.rgb()[5] = (byte) 200;
    Path file = dir.resolve("a.png");
    Files.write(file, ImageFiles.encodePng(img));
    assertEquals(img, ImageFiles.read(file));
  }

  @Test
  void readsJpeg() throws Exception {
    Path file = dir.resolve("a.jpg");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(RgbImage.filled(8, 5, 200, 100, 50).toBufferedImage(), "jpg", out);
    Files.write(file, out.toByteArray());
    RgbImage read = ImageFiles.read(file);
    assertEquals(8, read.width());
    assertEquals(5, read.height());
    assertTrue(Math.abs(read.get(4, 2, 0) - 200) < 8, "JPEG red near 200: " + read.get(4, 2, 0));
  }

  @Test
  void rejectsAHeaderClaimingTooManyPixelsBeforeDecoding() throws Exception {
    byte[] png = ImageFiles.encodePng(RgbImage.filled(1, 1, 0, 0, 0));
    // IHDR data starts at byte 16: width, height (big-endian); CRC of type+data at byte 29.
    ByteBuffer buf = ByteBuffer.wrap(png);
    buf.putInt(16, 100_000);
    buf.putInt(20, 100_000);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 17);
    buf.putInt(29, (int) crc.getValue());
    Path file = dir.resolve("bomb.png");
    Files.write(file, png);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImageFiles.read(file, 1_000_000));
    assertTrue(e.getMessage().contains("bomb.png") && e.getMessage().contains("100000x100000"), e.getMessage());
    assertEquals(100_000, ImageFiles.readDimensions(file, Long.MAX_VALUE).width());
  }

  @Test
  void namesTheFileOfAnUndecodableImage() throws Exception {
    Path file = dir.resolve("junk.png");
    Files.writeString(file, "not an image");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImageFiles.read(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertThrows(InvalidInputException.class, () -> ImageFiles.read(dir.resolve("missing.png")));
  }
}
