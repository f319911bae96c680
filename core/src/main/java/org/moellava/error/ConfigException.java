package org.moellava.error;

/** An invalid or unreadable model or training configuration. Exit code 2. */
public class ConfigException extends MoeLlavaException {
  public ConfigException(String message) {
    super(message, EXIT_USAGE);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, EXIT_USAGE, cause);
  }
}
