package org.moellava.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process that opens a staging directory for {@code <dir>/pkg} and a scratch directory in {@code <dir>}, writes a
 * file into each, prints {@code ready} and waits to be stopped ({@link StagingCleanupOnExitTest}).
 */
public final class StagingHolder {
  private StagingHolder() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.writeString(AtomicFiles.stagingDirectoryFor(dir.resolve("pkg")).resolve("decoder.onnx.data"), "partial");
    Files.writeString(AtomicFiles.scratchDirectoryIn(dir, "validation-").resolve("reference.bin"), "partial");
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(120_000);
  }
}
