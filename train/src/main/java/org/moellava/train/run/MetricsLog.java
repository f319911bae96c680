package org.moellava.train.run;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import org.moellava.io.AtomicFiles;
import org.moellava.error.InvalidInputException;

/**
 * Appends one JSON object per optimiser step to {@code RUN_DIR/metrics.jsonl}. Each line is flushed, so a killed
 * run loses at most the line being written; a torn last line is dropped by {@link #truncateTornTail} on resume.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final BufferedWriter out;

  /** Opens {@code file} for appending, creating it if needed. */
  public MetricsLog(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      truncateTornTail(file);
      out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot open the metrics log: " + e.getMessage(), e);
    }
  }

  /** Appends one record. */
  public void append(Map<String, ?> record) {
    try {
      out.write(JSON.writeValueAsString(record));
      out.write('\n');
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("metrics record is not serialisable: " + record.keySet(), e);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot append to the metrics log: " + e.getMessage(), e);
    }
  }

  /**
   * Removes the records of {@code stage} whose {@code step} is past {@code step} (written after the checkpoint a run
   * resumes from), and a torn last line, rewriting the file atomically.
   */
  public static void dropAfter(Path file, String stage, long step) {
    if (!Files.exists(file)) return;
    try {
      List<String> kept = new ArrayList<>();
      boolean changed = false;
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          changed = true; // a torn line
          continue;
        }
        if (node != null && stage.equals(node.path("stage").asText()) && node.path("step").asLong() > step) {
          changed = true;
          continue;
        }
        kept.add(line);
      }
      if (changed) {
        StringBuilder sb = new StringBuilder();
        kept.forEach(l -> sb.append(l).append('\n'));
        AtomicFiles.writeString(file, sb.toString());
      }
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read the metrics log: " + JsonErrors.describe(e), e);
    }
  }

  /** Removes a last line that has no newline (written by a process killed mid-line). */
  static void truncateTornTail(Path file) throws IOException {
    if (!Files.exists(file)) return;
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') end--;
    if (end != bytes.length) {
      try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(end);
      }
    }
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot close the metrics log: " + e.getMessage(), e);
    }
  }
}
