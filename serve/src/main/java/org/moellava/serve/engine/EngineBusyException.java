package org.moellava.serve.engine;

import org.moellava.error.MoeLlavaException;

/** The request queue is full; the caller should retry later (HTTP 429). */
public class EngineBusyException extends MoeLlavaException {
  public EngineBusyException(String message) {
    super(message, EXIT_FAILURE);
  }
}
