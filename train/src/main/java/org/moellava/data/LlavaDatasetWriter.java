package org.moellava.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.image.RgbImage;
import org.moellava.io.AtomicFiles;

/**
 * Writes a dataset in LLaVA format: {@code data.json} (a JSON list of entries) plus each entry's image as a
 * PNG at its relative {@code image} path (by convention {@code images/<id>.png}). The directory is filled in
 * a staging directory and renamed into place, so a failed write leaves nothing behind.
 */
public final class LlavaDatasetWriter {
  /** Name of the entry list inside a dataset directory. */
  public static final String DATA_FILE = "data.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private LlavaDatasetWriter() {}

  /** Writes every entry of {@code dataset} to the directory {@code target} (replacing it). */
  public static void write(ConversationDataset dataset, Path target) {
    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      List<LlavaEntry> entries = new ArrayList<>(dataset.size());
      for (int i = 0; i < dataset.size(); i++) {
        LlavaEntry entry = dataset.entry(i);
        if (entry.hasImage()) {
          RgbImage image = dataset.image(i);
          if (image == null) throw new InvalidInputException("entry '" + entry.id() + "': names an image but has none");
          Path file = staging.resolve(entry.image()).normalize();
          if (!file.startsWith(staging)) {
            throw new InvalidInputException("entry '" + entry.id() + "': image path '" + entry.image()
                + "' leaves the dataset directory");
          }
          Files.createDirectories(file.getParent());
          Files.write(file, ImageFiles.encodePng(image));
        }
        entries.add(entry);
      }
      JSON.writeValue(staging.resolve(DATA_FILE).toFile(), entries);
      AtomicFiles.publishDirectory(staging, target);
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(target + ": cannot write dataset: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  /** The conventional relative image path of entry {@code id}. */
  public static String imagePathFor(String id) {
    return "images/" + id + ".png";
  }
}
