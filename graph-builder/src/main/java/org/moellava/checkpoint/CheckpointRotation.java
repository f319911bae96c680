package org.moellava.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.io.AtomicFiles;

/**
 * The checkpoints of one run: directories {@code step-000123} under the run directory, of which the newest
 * {@code keep} are kept, and a {@code latest} file naming the newest complete one, replaced atomically.
 * Staging directories ({@code .step-000123.*}, hidden) and incomplete directories are never taken as latest.
 */
public final class CheckpointRotation {
  /** The pointer file in the run directory. */
  public static final String LATEST = "latest";
  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{6,})");

  private final Path runDir;
  private final int keep;
  private final CheckpointWriter writer;

  /**
   * @param runDir the run directory
   * @param keep how many checkpoints to keep (at least 1)
   */
  public CheckpointRotation(Path runDir, int keep) {
    this(runDir, keep, new CheckpointWriter());
  }

  CheckpointRotation(Path runDir, int keep, CheckpointWriter writer) {
    if (keep < 1) throw new IllegalArgumentException("keep must be >= 1, got " + keep);
    this.runDir = runDir;
    this.keep = keep;
    this.writer = writer;
  }

  /** The directory name of the checkpoint at {@code step}: {@code step-000123}. */
  public static String directoryName(long step) {
    return String.format("step-%06d", step);
  }

  /** The directory of the checkpoint at {@code step}. */
  public Path directoryFor(long step) {
    return runDir.resolve(directoryName(step));
  }

  /**
   * Writes a checkpoint for {@code state.step()}, points {@code latest} at it and removes the checkpoints
   * beyond the newest {@code keep}.
   *
   * @return the checkpoint directory
   */
  public Path save(ModelConfig config, byte[] tokenizerJson, Map<String, TensorValue> variables,
      TrainingState state) {
    Path dir = writer.write(directoryFor(state.step()), config, tokenizerJson, variables, state);
    markLatest(state.step());
    prune();
    return dir;
  }

  /** Points {@code latest} at the checkpoint of {@code step} (which must be complete). */
  public void markLatest(long step) {
    Path dir = directoryFor(step);
    if (!isComplete(dir)) {
      throw new InvalidInputException(dir + ": not a complete checkpoint; cannot mark it latest");
    }
    AtomicFiles.writeString(runDir.resolve(LATEST), directoryName(step) + "\n");
  }

  /** The complete checkpoints of the run, oldest first. */
  public List<Path> checkpoints() {
    if (!Files.isDirectory(runDir)) return List.of();
    List<Path> out = new ArrayList<>();
    try (Stream<Path> list = Files.list(runDir)) {
      list.filter(p -> stepOf(p).isPresent() && isComplete(p)).forEach(out::add);
    } catch (IOException e) {
      throw new InvalidInputException(runDir + ": cannot list checkpoints: " + e.getMessage(), e);
    }
    out.sort(Comparator.comparingLong(p -> stepOf(p).orElseThrow()));
    return out;
  }

  /**
   * The newest complete checkpoint: the one {@code latest} names when it is complete, otherwise the complete
   * checkpoint with the highest step; empty when there is none.
   */
  public Optional<Path> latest() {
    Path pointer = runDir.resolve(LATEST);
    if (Files.isRegularFile(pointer)) {
      try {
        String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
        if (STEP_DIR.matcher(name).matches() && isComplete(runDir.resolve(name))) {
          return Optional.of(runDir.resolve(name));
        }
      } catch (IOException e) {
        throw new InvalidInputException(pointer + ": cannot read: " + e.getMessage(), e);
      }
    }
    List<Path> all = checkpoints();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Deletes the checkpoints older than the newest {@code keep}, never the one {@code latest} names. */
  public void prune() {
    List<Path> all = checkpoints();
    Optional<Path> latest = latest();
    for (int i = 0; i < all.size() - keep; i++) {
      Path dir = all.get(i);
      if (latest.isPresent() && latest.get().equals(dir)) continue;
      AtomicFiles.deleteRecursively(dir);
    }
  }

  private static Optional<Long> stepOf(Path dir) {
    Matcher m = STEP_DIR.matcher(dir.getFileName().toString());
    return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
  }

  /** Whether {@code dir} holds a checkpoint's config, state and manifest. */
  static boolean isComplete(Path dir) {
    return Files.isRegularFile(dir.resolve(CheckpointFiles.CONFIG))
        && Files.isRegularFile(dir.resolve(CheckpointFiles.STATE))
        && Files.isRegularFile(CheckpointFiles.manifest(dir));
  }
}
