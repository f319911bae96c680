package org.moellava.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void publishedFilesAndDirectoriesAreReadableByOthers() throws Exception {
    Path file = dir.resolve("a.json");
    AtomicFiles.writeString(file, "{}");
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Path staging = AtomicFiles.stagingDirectoryFor(dir.resolve("pkg"));
    Files.writeString(staging.resolve("x"), "1");
    AtomicFiles.publishDirectory(staging, dir.resolve("pkg"));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("pkg"))));
  }

  @Test
  void replacingADirectoryLeavesNoStagingOrOldCopies() throws Exception {
    Path target = dir.resolve("out");
    for (String content : new String[] {"first", "second"}) {
      Path staging = AtomicFiles.stagingDirectoryFor(target);
      Files.writeString(staging.resolve("f"), content);
      AtomicFiles.publishDirectory(staging, target);
    }
    assertEquals("second", Files.readString(target.resolve("f")));
    try (Stream<Path> all = Files.list(dir)) {
      assertEquals(1, all.count(), "only the published directory remains");
    }
    assertFalse(Files.exists(dir.resolve(".out")));
    assertTrue(Files.isDirectory(target));
  }
}
