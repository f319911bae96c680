package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;

class ApiKeySourceTest {
  @TempDir Path dir;

  @Test
  void eachSourceAloneAndNoneAtAll() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), "  s3cret \nignored second line\n");
    assertEquals("s3cret", ApiKeySource.resolve(null, file, null));
    assertEquals("from-env", ApiKeySource.resolve(null, null, "from-env"));
    assertEquals("flag", ApiKeySource.resolve("flag", null, ""));
    assertNull(ApiKeySource.resolve(null, null, null));
  }

  @Test
  void twoSourcesOrAnEmptyFileAreRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), "k\n");
    InvalidInputException two = assertThrows(InvalidInputException.class,
        () -> ApiKeySource.resolve("flag", null, "env"));
    assertTrue(two.getMessage().contains("one way only"), two.getMessage());
    assertThrows(InvalidInputException.class, () -> ApiKeySource.resolve(null, file, "env"));
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    assertTrue(assertThrows(InvalidInputException.class, () -> ApiKeySource.resolve(null, empty, null)).getMessage()
        .contains("empty"));
    assertThrows(InvalidInputException.class, () -> ApiKeySource.resolve(null, dir.resolve("missing"), null));
  }
}
