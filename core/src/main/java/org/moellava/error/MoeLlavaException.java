package org.moellava.error;

/**
 * Base of every error the project reports to a user. The message is a single line a user can act on;
 * {@link #exitCode()} is the process exit code the CLI uses for it.
 */
public class MoeLlavaException extends RuntimeException {
  /** Exit code for bad usage, bad configuration and bad input. */
  public static final int EXIT_USAGE = 2;
  /** Exit code for a backend or accelerator that cannot run on this machine. */
  public static final int EXIT_UNAVAILABLE = 3;
  /** Exit code for any other failure. */
  public static final int EXIT_FAILURE = 1;

  private final int exitCode;

  public MoeLlavaException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public MoeLlavaException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** The process exit code for this error. */
  public int exitCode() {
    return exitCode;
  }
}
