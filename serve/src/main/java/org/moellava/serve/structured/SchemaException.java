package org.moellava.serve.structured;

import org.moellava.error.InvalidInputException;

/**
 * A JSON schema that structured output cannot enforce (an unsupported keyword, a malformed or unsatisfiable value);
 * {@link #path()} says where: the keyword or value inside the schema, dot-separated ({@code properties.age.minimum}),
 * empty for the schema itself.
 */
public final class SchemaException extends InvalidInputException {
  private final String path;
  private final boolean unsupported;

  /** A malformed or unsatisfiable value at {@code path}. */
  public SchemaException(String path, String message) {
    this(path, message, false);
  }

  /** @param unsupported true for valid JSON Schema this server cannot enforce (a keyword outside the subset) */
  public SchemaException(String path, String message, boolean unsupported) {
    super(message);
    this.path = path;
    this.unsupported = unsupported;
  }

  /** Whether the schema is valid JSON Schema that structured output does not support (else it is malformed). */
  public boolean unsupported() {
    return unsupported;
  }

  /** Where in the schema, dot-separated; empty for the schema itself. */
  public String path() {
    return path;
  }
}
