package org.moellava.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.moellava.error.InvalidInputException;

/**
 * Writes that never leave a half-written file or directory behind: content goes to a temporary sibling,
 * which is then renamed into place.
 *
 * <p>Staging and scratch directories still open when the JVM exits (Ctrl-C, SIGTERM, an exit from another thread)
 * are deleted by one shutdown hook: a stopped {@code export} or {@code import} leaves nothing. Only SIGKILL (and a
 * crash of the JVM itself) can leave one; {@link #removeStaging} clears those.
 */
public final class AtomicFiles {
  /** Staging and scratch directories made here and neither published nor deleted yet. */
  private static final java.util.Set<Path> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final java.util.concurrent.atomic.AtomicBoolean HOOK_INSTALLED =
      new java.util.concurrent.atomic.AtomicBoolean();

  // Temporary files and directories are created owner-only (0600/0700); published outputs get the usual modes.
  private static final String FILE_PERMISSIONS = "rw-r--r--";
  private static final String DIRECTORY_PERMISSIONS = "rwxr-xr-x";

  private AtomicFiles() {}

  private static void makeShareable(Path path, String permissions) throws IOException {
    if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
    }
  }

  /** Writes {@code bytes} to {@code target} atomically. */
  public static void write(Path target, byte[] bytes) {
    Path dir = parentOf(target);
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      makeShareable(tmp, FILE_PERMISSIONS);
      Files.write(tmp, bytes);
      move(tmp, target);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new InvalidInputException(target + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** Writes UTF-8 {@code text} to {@code target} atomically. */
  public static void writeString(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A fresh temporary directory beside {@code target}, to be filled and then {@link #publishDirectory}'d. */
  public static Path stagingDirectoryFor(Path target) {
    Path dir = parentOf(target);
    try {
      Files.createDirectories(dir);
      Path staging = Files.createTempDirectory(dir, "." + target.getFileName() + ".");
      makeShareable(staging, DIRECTORY_PERMISSIONS);
      return track(staging);
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot create a directory here: " + e.getMessage(), e);
    }
  }

  /**
   * A fresh hidden scratch directory {@code .<prefix><random>} in {@code dir}, deleted with
   * {@link #deleteRecursively} or, if the JVM exits first, by the shutdown hook.
   */
  public static Path scratchDirectoryIn(Path dir, String prefix) {
    try {
      return track(Files.createTempDirectory(dir, "." + prefix));
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot create a directory here: " + e.getMessage(), e);
    }
  }

  private static Path track(Path dir) {
    OPEN.add(dir);
    if (HOOK_INSTALLED.compareAndSet(false, true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(AtomicFiles::deleteOpenDirectories, "moellava-staging-cleanup"));
    }
    return dir;
  }

  /** The shutdown hook: deletes what is still open, best effort (the JVM is going away). */
  private static void deleteOpenDirectories() {
    for (Path p : java.util.List.copyOf(OPEN)) {
      try {
        deleteRecursively(p);
      } catch (RuntimeException e) {
        System.err.println("moellava: could not delete the unfinished " + p + ": " + e.getMessage());
      }
    }
  }

  /**
   * Renames a filled staging directory to {@code target}. An existing {@code target} is replaced: it is first
   * renamed aside, then deleted once the new one is in place.
   */
  public static void publishDirectory(Path staging, Path target) {
    try {
      Path old = null;
      if (Files.exists(target)) {
        old = parentOf(target).resolve("." + target.getFileName() + ".old-" + System.nanoTime());
        move(target, old);
      }
      move(staging, target);
      OPEN.remove(staging);
      deleteRecursively(old);
    } catch (IOException e) {
      throw new InvalidInputException(target + ": cannot move the finished output into place: " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the staging directories {@link #stagingDirectoryFor} made for {@code target} and a killed process left
   * behind (hidden siblings named {@code .<target name>.<random>}).
   */
  public static void removeStaging(Path target) {
    Path dir = parentOf(target);
    if (!Files.isDirectory(dir)) return;
    String prefix = "." + target.getFileName() + ".";
    try (java.util.stream.Stream<Path> list = Files.list(dir)) {
      for (Path p : list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
        deleteRecursively(p);
      }
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot list: " + e.getMessage(), e);
    }
  }

  /** Deletes a file or directory tree; missing paths are ignored. */
  public static void deleteRecursively(Path path) {
    if (path == null) return;
    if (!Files.exists(path)) {
      OPEN.remove(path);
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      OPEN.remove(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Path parentOf(Path target) {
    Path parent = target.toAbsolutePath().getParent();
    return parent == null ? Path.of(".") : parent;
  }

  private static void deleteQuietly(Path p) {
    try {
      if (p != null) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort: the temporary file is hidden and harmless
    }
  }
}
