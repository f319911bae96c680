package org.moellava.serve.structured;

import org.moellava.serve.engine.TokenConstraint;

/**
 * Structured output as the engine sees it: each sequence walks its own {@link JsonAutomaton} state over the bytes
 * of the tokens it generates, and its token mask is every token whose whole byte string that state accepts
 * ({@link TokenVocabulary#mask}); end-of-sequence is allowed only once the value is complete.
 */
public final class JsonConstraint implements TokenConstraint.Factory {
  private final SchemaSpec spec;
  private final TokenVocabulary vocabulary;

  public JsonConstraint(SchemaSpec spec, TokenVocabulary vocabulary) {
    this.spec = spec;
    this.vocabulary = vocabulary;
  }

  /** The value shape enforced. */
  public SchemaSpec spec() {
    return spec;
  }

  @Override
  public TokenConstraint start() {
    return new Cursor();
  }

  private final class Cursor implements TokenConstraint {
    private JsonAutomaton.State state = JsonAutomaton.start(spec);
    private boolean ended;

    @Override
    public int allowed(boolean[] allowed) {
      if (ended) {
        java.util.Arrays.fill(allowed, false);
        return 0;
      }
      return vocabulary.mask(state, allowed);
    }

    @Override
    public boolean allows(int token) {
      return !ended && vocabulary.allows(state, token);
    }

    @Override
    public void accept(int token) {
      if (!allows(token)) {
        throw new IllegalStateException("structured output: token " + token + " does not continue the JSON value");
      }
      if (token == vocabulary.eos()) {
        ended = true;
      } else {
        state = JsonAutomaton.advance(state, vocabulary.bytes(token));
      }
    }
  }
}
