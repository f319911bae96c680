package org.moellava.data;

import java.nio.file.Path;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.image.RgbImage;

/** A LLaVA-format dataset read by {@link LlavaDatasetReader}; images are decoded on access. */
public final class LlavaDataset implements ConversationDataset {
  private final Path file;
  private final Path imageRoot;
  private final List<LlavaEntry> entries;
  private final List<String> skipped;
  private final long maxPixels;

  LlavaDataset(Path file, Path imageRoot, List<LlavaEntry> entries, List<String> skipped, long maxPixels) {
    this.file = file;
    this.imageRoot = imageRoot;
    this.entries = List.copyOf(entries);
    this.skipped = List.copyOf(skipped);
    this.maxPixels = maxPixels;
  }

  /** The JSON file read. */
  public Path file() {
    return file;
  }

  /** All usable entries. */
  public List<LlavaEntry> entries() {
    return entries;
  }

  /** One message per skipped entry (file, id and problem); empty in strict mode. */
  public List<String> skipped() {
    return skipped;
  }

  @Override
  public int size() {
    return entries.size();
  }

  @Override
  public LlavaEntry entry(int i) {
    return entries.get(i);
  }

  @Override
  public RgbImage image(int i) {
    LlavaEntry entry = entries.get(i);
    if (!entry.hasImage()) return null;
    try {
      return ImageFiles.read(imageRoot.resolve(entry.image()), maxPixels);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(file + ": entry '" + entry.id() + "': " + e.getMessage(), e);
    }
  }
}
