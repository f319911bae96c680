package org.moellava.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.error.InvalidInputException;

/** Where {@code serve} takes its API key from: a flag, a file, or the environment (at most one of them). */
final class ApiKeySource {
  /** The environment variable holding the key. */
  static final String ENVIRONMENT = "MOELLAVA_API_KEY";

  private ApiKeySource() {}

  /** The key, or null for none; refuses two sources at once, an unreadable or empty file. */
  static String resolve(String flag, Path file, String environment) {
    boolean fromEnv = environment != null && !environment.isBlank();
    int sources = (flag != null ? 1 : 0) + (file != null ? 1 : 0) + (fromEnv ? 1 : 0);
    if (sources > 1) {
      throw new InvalidInputException("give the API key one way only: --api-key, --api-key-file or " + ENVIRONMENT);
    }
    if (file != null) {
      String key;
      try {
        key = Files.readAllLines(file).stream().findFirst().orElse("").strip();
      } catch (IOException e) {
        throw new InvalidInputException(file + ": cannot read the API key file: " + e.getMessage(), e);
      }
      if (key.isEmpty()) throw new InvalidInputException(file + ": the API key file is empty");
      return key;
    }
    if (flag != null && flag.isBlank()) throw new InvalidInputException("--api-key is empty");
    return fromEnv ? environment.strip() : flag;
  }
}
