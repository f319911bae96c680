package org.moellava.serve.http;

import java.net.URI;

/** A request's image: its bytes from a {@code data:} URL, or an {@code http(s)} URL to fetch. */
sealed interface ImageInput {
  /** The encoded image of a {@code data:} URL. */
  record Inline(byte[] bytes) implements ImageInput {}

  /**
   * An {@code http(s)} URL, fetched only when the server allows image URLs.
   *
   * @param param the request parameter that gave it, named in errors
   */
  record Url(URI url, String param) implements ImageInput {}
}
