package org.moellava.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.moellava.checkpoint.CheckpointRotation;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.io.AtomicFiles;

/**
 * Saves a stage's step checkpoints into {@code <stage>/checkpoints/step-NNNNNN} with {@link CheckpointRotation}'s
 * layout: the checkpoint is written completely inside a hidden staging directory, renamed into place, then marked
 * latest; the oldest beyond {@code keep} are removed. A process killed at any point leaves either the previous
 * checkpoints or the new complete one, plus at most a hidden staging directory that {@link #removeStaging} clears.
 *
 * <p>Test hook: with the system property {@value #BLOCK_PROPERTY} set to a step, saving that step prints
 * {@code moellava-test: save staged <step>} once the staging directory is filled and then blocks forever, so a test can
 * kill the process mid-save.
 */
final class CheckpointSaver {
  /** System property naming the step whose save blocks after staging (tests only). */
  static final String BLOCK_PROPERTY = "moellava.test.blockInSaveAtStep";
  private final Path dir;
  private final CheckpointRotation rotation;
  private final CheckpointWriter writer = new CheckpointWriter();

  CheckpointSaver(Path checkpointsDir, int keep) {
    this.dir = checkpointsDir;
    this.rotation = new CheckpointRotation(checkpointsDir, Math.max(1, keep));
  }

  /** Writes, publishes and marks latest the checkpoint of {@code state.step()}. */
  Path save(ModelConfig config, byte[] tokenizerJson, Map<String, TensorValue> variables, TrainingState state) {
    Path target = rotation.directoryFor(state.step());
    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      Path filled = writer.write(staging.resolve(target.getFileName()), config, tokenizerJson, variables, state);
      blockIfAsked(state.step());
      AtomicFiles.publishDirectory(filled, target);
    } finally {
      AtomicFiles.deleteRecursively(staging);
    }
    rotation.markLatest(state.step());
    rotation.prune();
    return target;
  }

  /** The newest complete checkpoint, if any. */
  Optional<Path> latest() {
    return rotation.latest();
  }

  /** The complete checkpoints, oldest first. */
  List<Path> checkpoints() {
    return rotation.checkpoints();
  }

  /** Deletes hidden staging directories left by a process killed mid-save. */
  void removeStaging() {
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : list.filter(p -> p.getFileName().toString().startsWith(".step-")).toList()) {
        AtomicFiles.deleteRecursively(p);
      }
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot list checkpoints: " + e.getMessage(), e);
    }
  }

  private static void blockIfAsked(long step) {
    String at = System.getProperty(BLOCK_PROPERTY);
    if (at == null || Long.parseLong(at) != step) return;
    System.out.println("moellava-test: save staged " + step);
    System.out.flush();
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
