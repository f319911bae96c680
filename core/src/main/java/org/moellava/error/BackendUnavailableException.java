package org.moellava.error;

/** A backend or accelerator (TensorRT, CUDA) that cannot run on this machine. Exit code 3. */
public class BackendUnavailableException extends MoeLlavaException {
  public BackendUnavailableException(String message) {
    super(message, EXIT_UNAVAILABLE);
  }

  public BackendUnavailableException(String message, Throwable cause) {
    super(message, EXIT_UNAVAILABLE, cause);
  }
}
