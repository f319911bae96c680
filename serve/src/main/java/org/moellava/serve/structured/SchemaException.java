package org.moellava.serve.structured;

import org.moellava.error.InvalidInputException;

/**
 * A JSON schema that structured output cannot enforce (an unsupported keyword, a malformed or unsatisfiable value);
 * {@link #path()} says where: the keyword or value inside the schema, dot-separated ({@code properties.age.minimum}),
 * empty for the schema itself.
 */
public final class SchemaException extends InvalidInputException {
  private final String path;

  public SchemaException(String path, String message) {
    super(message);
    this.path = path;
  }

  /** Where in the schema, dot-separated; empty for the schema itself. */
  public String path() {
    return path;
  }
}
