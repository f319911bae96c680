package org.moellava.error;

/** Bad user input other than configuration: wrong shapes, unreadable files, malformed data. Exit code 2. */
public class InvalidInputException extends MoeLlavaException {
  public InvalidInputException(String message) {
    super(message, EXIT_USAGE);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, EXIT_USAGE, cause);
  }
}
