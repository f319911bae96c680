package org.moellava.serve.engine;

import java.util.List;

/**
 * Turns the growing list of generated token ids into text deltas for streaming, and applies stop strings.
 * It decodes the whole prefix each time (quadratic in the answer length, negligible beside a decoder step)
 * and holds back text that may still turn into a stop string or that ends in an incomplete character
 * (U+FFFD), so no emitted text is ever taken back.
 */
final class TextAssembler {
  private final TokenDecoder decoder;
  private final List<String> stops;
  private String text = "";
  private int emitted;
  private boolean stopped;

  TextAssembler(TokenDecoder decoder, List<String> stops) {
    this.decoder = decoder;
    this.stops = stops;
  }

  /** The new text that is safe to emit after the tokens {@code ids[0..count)}; sets {@link #stopped()}. */
  String accept(int[] ids, int count) {
    text = decoder.decode(ids, count);
    int stopAt = firstStop();
    if (stopAt >= 0) {
      text = text.substring(0, stopAt);
      stopped = true;
      return take(text.length());
    }
    return take(Math.max(emitted, text.length() - holdBack()));
  }

  /** Everything not yet emitted (called when generation ends for another reason than a stop string). */
  String flush() {
    return take(text.length());
  }

  /** Whether a stop string was found. */
  boolean stopped() {
    return stopped;
  }

  /** The final text. */
  String text() {
    return text;
  }

  private String take(int end) {
    if (end <= emitted) {
      return "";
    }
    String delta = text.substring(emitted, end);
    emitted = end;
    return delta;
  }

  private int firstStop() {
    int best = -1;
    for (String stop : stops) {
      int from = Math.max(0, emitted - stop.length() + 1);
      int at = text.indexOf(stop, from);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
      }
    }
    return best;
  }

  /** Characters at the end that could be the start of a stop string, or an incomplete character. */
  private int holdBack() {
    int hold = 0;
    for (String stop : stops) {
      for (int n = Math.min(stop.length() - 1, text.length()); n > hold; n--) {
        if (text.endsWith(stop.substring(0, n))) {
          hold = n;
          break;
        }
      }
    }
    int replacement = 0;
    while (replacement < text.length() && text.charAt(text.length() - 1 - replacement) == '\uFFFD') {
      replacement++;
    }
    return Math.max(hold, replacement);
  }
}
