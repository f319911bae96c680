package org.moellava.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.moellava.error.InvalidInputException;

/**
 * An exclusive lock on a directory, so that two processes never write one run directory at once. It is an OS file
 * lock on {@code DIR/.lock}, which also holds the owner's PID for the error message. The operating system releases
 * it when the owner exits, however it exits, so a lock left by a killed run is free again: there is no stale-lock
 * clean-up to do (the PID in the file is then only a leftover, overwritten by the next owner).
 */
public final class DirectoryLock implements AutoCloseable {
  /** The lock file's name inside the directory. */
  public static final String FILE_NAME = ".lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dir} (which must exist) or fails at once.
   *
   * @param what what holds such a lock, for the message ("training run")
   * @throws InvalidInputException naming the holder's PID when another process (or another run in this one) holds it
   */
  public static DirectoryLock acquire(Path dir, String what) {
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot open the lock file: " + e.getMessage(), e);
    }
    try {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this JVM through another channel
      }
      if (lock == null) {
        String holder = holder(file);
        channel.close();
        throw new InvalidInputException(dir + ": in use by another " + what
            + (holder.isEmpty() ? "" : " (PID " + holder + ")") + "; wait for it to finish, or choose another directory");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return new DirectoryLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new InvalidInputException(file + ": cannot lock: " + e.getMessage(), e);
    }
  }

  private static String holder(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // the lock was not taken; nothing else to release
    }
  }

  /** Releases the lock (the file stays, holding the last owner's PID). */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel below releases it as well
    }
    closeQuietly(channel);
  }
}
