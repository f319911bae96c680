package org.moellava.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.image.RgbImage;

class LlavaDatasetTest {
  @TempDir Path dir;

  @Test
  void writtenDatasetReadsBackIdentically() throws Exception {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(9).withSplits(40, 10, 10));
    ConversationDataset source = SynthDatasets.instructions(world, Split.VAL);
    Path target = dir.resolve("val");
    LlavaDatasetWriter.write(source, target);
    try (var listing = Files.list(dir)) {
      assertEquals(List.of(target), listing.toList(), "no staging directory left behind");
    }
    LlavaDataset read = LlavaDatasetReader.read(target);
    assertEquals(source.size(), read.size());
    assertEquals(14, read.size()); // 10 images + 3 descriptions + 1 text-only
    for (int i = 0; i < source.size(); i++) {
      assertEquals(source.entry(i), read.entry(i));
      RgbImage expected = source.image(i);
      if (expected == null) {
        assertNull(read.image(i));
        assertFalse(read.entry(i).hasImage());
      } else {
        assertEquals(expected, read.image(i));
      }
    }
    assertTrue(read.entry(0).conversations().get(0).value().startsWith("<image>\n"));
    assertTrue(read.skipped().isEmpty());
  }

  private Path dataset(String json) throws Exception {
    Path root = Files.createDirectories(dir.resolve("ds"));
    Files.createDirectories(root.resolve("images"));
    Files.write(root.resolve("images/ok.png"), ImageFiles.encodePng(RgbImage.filled(4, 4, 1, 2, 3)));
    Files.writeString(root.resolve("images/junk.png"), "garbage");
    Path file = root.resolve("data.json");
    Files.writeString(file, json);
    return file;
  }

  private static String entry(String id, String image, String firstHuman) {
    String img = image == null ? "" : "\"image\": \"" + image + "\", ";
    return "{\"id\": \"" + id + "\", " + img + "\"conversations\": [{\"from\": \"human\", \"value\": \""
        + firstHuman + "\"}, {\"from\": \"gpt\", \"value\": \"yes\"}]}";
  }

  private void assertProblem(String json, String id, String problem) throws Exception {
    Path file = dataset(json);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> LlavaDatasetReader.read(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'" + id + "'"), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  @Test
  void badEntriesNameFileIdAndProblem() throws Exception {
    String good = entry("good", "images/ok.png", "<image>\\nis there a ring?");
    assertProblem("[" + good + "," + entry("m1", "images/gone.png", "<image>\\nq") + "]", "m1", "missing image");
    assertProblem("[" + good + "," + entry("u1", "images/junk.png", "<image>\\nq") + "]", "u1", "bad image");
    assertProblem("[" + good + "," + entry("n1", "images/ok.png", "no placeholder") + "]", "n1", "has no <image>");
    assertProblem("[" + good + "," + entry("t1", null, "<image>\\nq") + "]", "t1", "no image");
    assertProblem("[" + good + "," + entry("good", "images/ok.png", "<image>\\nq") + "]", "good", "duplicate id");
    assertProblem("[" + good + ", {\"id\": \"g1\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}]",
        "g1", "expected 'human'");
    assertProblem("[" + good + "," + entry("p1", "../outside.png", "<image>\\nq") + "]", "p1", "leaves the image root");
  }

  @Test
  void malformedJsonAndEmptyDatasetsAreErrors() throws Exception {
    Path broken = dataset("[{\"id\": \"a\", ");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> LlavaDatasetReader.read(broken));
    assertTrue(e.getMessage().contains(broken.toString()) && e.getMessage().contains("malformed JSON"), e.getMessage());
    Path empty = dataset("[]");
    e = assertThrows(InvalidInputException.class, () -> LlavaDatasetReader.read(empty));
    assertTrue(e.getMessage().contains("no usable entries"), e.getMessage());
    Path notList = dataset("{\"id\": 1}");
    assertThrows(InvalidInputException.class, () -> LlavaDatasetReader.read(notList));
  }

  @Test
  void skipBadCountsSkippedEntries() throws Exception {
    Path file = dataset("[" + entry("good", "images/ok.png", "<image>\\nis there a ring?") + ","
        + entry("m1", "images/gone.png", "<image>\\nq") + "," + entry("text", null, "what comes after one?") + ","
        + entry("u1", "images/junk.png", "<image>\\nq") + "]");
    LlavaDataset ds = LlavaDatasetReader.read(file, LlavaDatasetReader.Options.skippingBad());
    assertEquals(List.of("good", "text"), ds.entries().stream().map(LlavaEntry::id).toList());
    assertEquals(2, ds.skipped().size());
    assertTrue(ds.skipped().get(0).contains("'m1'") && ds.skipped().get(1).contains("'u1'"), ds.skipped().toString());
    assertEquals(RgbImage.filled(4, 4, 1, 2, 3), ds.image(0));

    Path allBad = dataset("[" + entry("m1", "images/gone.png", "<image>\\nq") + "]");
    assertThrows(InvalidInputException.class,
        () -> LlavaDatasetReader.read(allBad, LlavaDatasetReader.Options.skippingBad()));
  }

  @Test
  void anImageTruncatedAfterValidationFailsOnLoadNamingTheEntry() throws Exception {
    Path file = dataset("[" + entry("late", "images/ok.png", "<image>\\nq") + "]");
    LlavaDataset ds = LlavaDatasetReader.read(file);
    Files.writeString(file.getParent().resolve("images/ok.png"), "now garbage");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ds.image(0));
    assertTrue(e.getMessage().contains("'late'") && e.getMessage().contains("ok.png"), e.getMessage());
  }
}
