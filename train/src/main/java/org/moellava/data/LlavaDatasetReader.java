package org.moellava.data;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;

/**
 * Reads any dataset in LLaVA format (for example LLaVA-Instruct or the synthetic world's export): a JSON list
 * of {@code {id, image?, conversations: [{from, value}, ...]}}. Each entry is checked up front: alternating
 * human/gpt turns starting with human, a unique id, an image file that exists inside the image root and whose
 * header decodes within the pixel limit, {@code <image>} in the first human turn exactly when an image is
 * given and nowhere else. Problems name the file, the entry id and what is wrong; with
 * {@link Options#skipBad()} such entries are skipped and counted instead. A file that is not valid JSON, or a
 * dataset left with no entries, is always an error.
 */
public final class LlavaDatasetReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LlavaDatasetReader() {}

  /**
   * Reading options.
   *
   * @param skipBad skip (and count) bad entries instead of failing on the first one
   * @param maxPixels largest image accepted, in pixels
   * @param imageRoot directory image paths are relative to; null: the directory holding the JSON file
   */
  public record Options(boolean skipBad, long maxPixels, Path imageRoot) {
    /** Strict reading, default pixel limit, images beside the JSON file. */
    public static Options strict() {
      return new Options(false, ImageFiles.DEFAULT_MAX_PIXELS, null);
    }

    /** Lenient reading: bad entries are skipped. */
    public static Options skippingBad() {
      return new Options(true, ImageFiles.DEFAULT_MAX_PIXELS, null);
    }
  }

  /** Reads a dataset directory (holding {@code data.json}) or a JSON file, strictly. */
  public static LlavaDataset read(Path dirOrJson) {
    return read(dirOrJson, Options.strict());
  }

  /** Reads a dataset directory (holding {@code data.json}) or a JSON file. */
  public static LlavaDataset read(Path dirOrJson, Options options) {
    Path file = Files.isDirectory(dirOrJson) ? dirOrJson.resolve(LlavaDatasetWriter.DATA_FILE) : dirOrJson;
    if (!Files.isRegularFile(file)) throw new InvalidInputException(file + ": dataset file not found");
    Path root = (options.imageRoot() != null ? options.imageRoot() : file.toAbsolutePath().getParent())
        .toAbsolutePath().normalize();
    JsonNode list = parse(file);
    if (!list.isArray()) throw new InvalidInputException(file + ": expected a JSON list of entries, found " + list.getNodeType());
    List<LlavaEntry> entries = new ArrayList<>(list.size());
    List<String> problems = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int k = 0; k < list.size(); k++) {
      JsonNode node = list.get(k);
      String id = node.path("id").isValueNode() ? node.path("id").asText() : "#" + k;
      try {
        LlavaEntry entry = parseEntry(node, id, root, options.maxPixels());
        if (!ids.add(entry.id())) throw new InvalidInputException("duplicate id");
        entries.add(entry);
      } catch (InvalidInputException e) {
        String message = file + ": entry '" + id + "' (#" + k + "): " + e.getMessage();
        if (!options.skipBad()) throw new InvalidInputException(message, e);
        problems.add(message);
      }
    }
    if (entries.isEmpty()) {
      throw new InvalidInputException(file + ": dataset has no usable entries"
          + (problems.isEmpty() ? "" : " (" + problems.size() + " skipped; first: " + problems.get(0) + ")"));
    }
    return new LlavaDataset(file, root, entries, problems, options.maxPixels());
  }

  private static JsonNode parse(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new InvalidInputException(file + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + JsonErrors.describe(e), e);
    }
  }

  private static LlavaEntry parseEntry(JsonNode node, String id, Path root, long maxPixels) {
    if (!node.isObject()) throw new InvalidInputException("entry is not a JSON object");
    if (!node.path("id").isValueNode() || node.path("id").asText().isEmpty()) {
      throw new InvalidInputException("missing id");
    }
    JsonNode convs = node.path("conversations");
    if (!convs.isArray() || convs.isEmpty()) throw new InvalidInputException("missing or empty conversations");
    List<Turn> turns = new ArrayList<>(convs.size());
    for (int t = 0; t < convs.size(); t++) {
      JsonNode turn = convs.get(t);
      String from = turn.path("from").asText(null);
      JsonNode value = turn.path("value");
      String expected = t % 2 == 0 ? Turn.HUMAN : Turn.GPT;
      if (!expected.equals(from)) {
        throw new InvalidInputException("turn " + t + " is from '" + from + "', expected '" + expected + "'");
      }
      if (!value.isTextual()) throw new InvalidInputException("turn " + t + " has no text value");
      turns.add(new Turn(from, value.asText()));
    }
    if (turns.size() < 2) throw new InvalidInputException("conversation has no gpt answer");
    JsonNode imageNode = node.get("image");
    String image = imageNode == null || imageNode.isNull() ? null : imageNode.asText();
    checkPlaceholders(turns, image != null);
    if (image != null) checkImage(image, root, maxPixels);
    return new LlavaEntry(node.path("id").asText(), image, turns);
  }

  private static void checkPlaceholders(List<Turn> turns, boolean hasImage) {
    for (int t = 0; t < turns.size(); t++) {
      int count = occurrences(turns.get(t).value(), Turn.IMAGE_PLACEHOLDER);
      if (t == 0 && hasImage && count != 1) {
        throw new InvalidInputException(count == 0
            ? "an image is given but the first human turn has no " + Turn.IMAGE_PLACEHOLDER
            : "the first human turn has " + count + " " + Turn.IMAGE_PLACEHOLDER + " placeholders, expected 1");
      }
      if ((t > 0 || !hasImage) && count > 0) {
        throw new InvalidInputException(Turn.IMAGE_PLACEHOLDER + " in turn " + t
            + (hasImage ? " (only the first human turn may hold it)" : " but the entry has no image"));
      }
    }
  }

  private static void checkImage(String image, Path root, long maxPixels) {
    Path file = root.resolve(image).normalize();
    if (!file.startsWith(root)) throw new InvalidInputException("image path '" + image + "' leaves the image root " + root);
    if (!Files.isRegularFile(file)) throw new InvalidInputException("missing image " + file);
    try {
      ImageFiles.readDimensions(file, maxPixels);
    } catch (InvalidInputException e) {
      throw new InvalidInputException("bad image: " + e.getMessage(), e);
    }
  }

  private static int occurrences(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) n++;
    return n;
  }
}
