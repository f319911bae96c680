package org.moellava.serve.engine;

/**
 * Where an image's tokens stand in a token sequence: positions {@code first} to {@code last}, inclusive. Its features
 * are computed for all of them at once, so prefix-cache hits and prefill chunks never end inside one.
 *
 * @param first the image's first token
 * @param last the image's last token
 */
record ImageSpan(int first, int last) {
  /** The first run of {@code imageTokenId} in {@code tokens} at or after {@code from}, or null when there is none. */
  static ImageSpan find(int[] tokens, int from, int imageTokenId) {
    int first = -1;
    for (int t = from; t < tokens.length; t++) {
      if (tokens[t] == imageTokenId) {
        if (first < 0) {
          first = t;
        }
      } else if (first >= 0) {
        return new ImageSpan(first, t - 1);
      }
    }
    return first < 0 ? null : new ImageSpan(first, tokens.length - 1);
  }

  /** Whether a cut before position {@code end} would leave some of the image on each side. */
  boolean splitBy(int end) {
    return first < end && last >= end;
  }
}
