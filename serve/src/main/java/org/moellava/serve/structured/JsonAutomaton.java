package org.moellava.serve.structured;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A pushdown automaton over bytes that accepts exactly the JSON texts of a {@link SchemaSpec}, written compactly
 * with bounded whitespace: at most one space (U+0020) before the value, after <code>{</code>, <code>[</code>, <code>:</code>,
 * <code>,</code> and after a member or element; no other whitespace, nothing after the value. Strings must be valid
 * UTF-8 without control characters; {@code \\u} escapes of surrogates (D800-DFFF) are not accepted (characters
 * outside the BMP are written as UTF-8). Numbers have at most {@value #MAX_INT_DIGITS} integer digits,
 * {@value #MAX_FRACTION_DIGITS} fraction digits and {@value #MAX_EXPONENT_DIGITS} exponent digits, so every state
 * can be completed and no state loops forever except inside a string (which {@code max_tokens} ends).
 *
 * <p>A {@link State} is an immutable stack of frames, so walking many continuations from one state (the token mask)
 * shares it freely. {@link #advance} is a pure function; {@link #canEnd} says whether the text so far is a complete
 * value.
 */
public final class JsonAutomaton {
  /** Most digits before the point. */
  public static final int MAX_INT_DIGITS = 15;
  /** Most digits after the point. */
  public static final int MAX_FRACTION_DIGITS = 15;
  /** Most exponent digits. */
  public static final int MAX_EXPONENT_DIGITS = 2;

  private JsonAutomaton() {}

  /** An automaton state: a stack of frames, top first. Immutable. */
  public static final class State {
    final Frame frame;
    final State below;

    State(Frame frame, State below) {
      this.frame = frame;
      this.below = below;
    }
  }

  /** The state before any byte of a value of {@code spec}. */
  public static State start(SchemaSpec spec) {
    return new State(new RootFrame(spec, 0), null);
  }

  /** The state after byte {@code b} (0-255), or null when the text with it can no longer match. */
  public static State advance(State state, int b) {
    return state.frame.step(b, state.below);
  }

  /** The state after all of {@code bytes}, or null. */
  public static State advance(State state, byte[] bytes) {
    State s = state;
    for (int i = 0; i < bytes.length && s != null; i++) {
      s = advance(s, bytes[i] & 0xff);
    }
    return s;
  }

  /** Whether the text read so far is a complete value (the output may end here). */
  public static boolean canEnd(State state) {
    for (State s = state; s != null; s = s.below) {
      if (!s.frame.canEnd()) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code text} (UTF-8) is accepted whole: every byte advances and the value is complete. */
  public static boolean accepts(SchemaSpec spec, String text) {
    State s = advance(start(spec), text.getBytes(StandardCharsets.UTF_8));
    return s != null && canEnd(s);
  }

  /**
   * Inside a string where any plain text may follow (any byte but quote, backslash and controls, as valid UTF-8): the
   * continuation bytes due (0 at a character boundary; 1-3 inside a character whose next bytes may be any of
   * 80-BF); -1 elsewhere.
   */
  static int stringDue(State state) {
    if (!(state.frame instanceof StringFrame f)) return -1;
    if (f.phase == StringFrame.NORMAL) return 0;
    return f.phase == StringFrame.UTF8 && f.lo == 0x80 && f.hi == 0xbf ? f.need : -1;
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** One level of the stack. */
  abstract static class Frame {
    /** The stack after {@code b} with this frame on top of {@code below}, or null to reject. */
    abstract State step(int b, State below);

    /** Whether this frame's value may end here (given what is below can). */
    boolean canEnd() {
      return false;
    }
  }

  /** Marks an {@code anyOf} alternative's value as ended with the byte still unread. */
  private static final State PASSED = new State(null, null);
  /** The bottom of an {@code anyOf} alternative's stack. */
  private static final Frame END = new Frame() {
    @Override
    State step(int b, State below) {
      return PASSED;
    }

    @Override
    boolean canEnd() {
      return true;
    }
  };
  private static final State END_STATE = new State(END, null);

  /** The frame below ends its value and reads {@code b} itself. */
  private static State pass(int b, State below) {
    return below.frame.step(b, below.below);
  }

  /** Starts a value of {@code spec} with its first byte {@code b} on top of {@code below}. */
  private static State startValue(SchemaSpec spec, int b, State below) {
    return fresh(spec).step(b, below);
  }

  private static Frame fresh(SchemaSpec spec) {
    if (spec instanceof SchemaSpec.ObjectSpec o) {
      return new ObjectFrame(o, ObjectFrame.OPEN, 0, -1, 0, 0, false);
    } else if (spec instanceof SchemaSpec.ArraySpec a) {
      return new ArrayFrame(a, ArrayFrame.OPEN, 0, false);
    } else if (spec instanceof SchemaSpec.StringSpec s) {
      return new StringFrame(s.minLength(), s.maxLength(), StringFrame.OPEN, 0, 0, 0, 0);
    } else if (spec instanceof SchemaSpec.NumberSpec n) {
      return new NumberFrame(n.integer(), NumberFrame.START, 0);
    } else if (spec instanceof SchemaSpec.LiteralSpec l) {
      return LiteralFrame.of(l.literals());
    } else if (spec instanceof SchemaSpec.AnyValue v) {
      return new AnyValueFrame(v.depth());
    } else if (spec instanceof SchemaSpec.AnyOfSpec a) {
      State[] alternatives = new State[a.alternatives().size()];
      for (int i = 0; i < alternatives.length; i++) {
        alternatives[i] = new State(fresh(a.alternatives().get(i)), END_STATE);
      }
      return new AnyOfFrame(alternatives);
    }
    throw new IllegalArgumentException("unknown spec " + spec);
  }

  private static boolean isDigit(int b) {
    return b >= '0' && b <= '9';
  }

  /** The document: optional one space, the value, then nothing. */
  private static final class RootFrame extends Frame {
    final SchemaSpec spec;
    final int phase; // 0 before (no space yet), 1 before (space read), 2 done

    RootFrame(SchemaSpec spec, int phase) {
      this.spec = spec;
      this.phase = phase;
    }

    @Override
    State step(int b, State below) {
      if (phase == 2) {
        return null;
      }
      if (b == ' ' && phase == 0) {
        return new State(new RootFrame(spec, 1), below);
      }
      return startValue(spec, b, new State(new RootFrame(spec, 2), below));
    }

    @Override
    boolean canEnd() {
      return phase == 2;
    }
  }

  /** Any JSON value, before its first byte. */
  private static final class AnyValueFrame extends Frame {
    private static final SchemaSpec.LiteralSpec KEYWORDS = new SchemaSpec.LiteralSpec(List.of(
        "true".getBytes(StandardCharsets.US_ASCII), "false".getBytes(StandardCharsets.US_ASCII),
        "null".getBytes(StandardCharsets.US_ASCII)));
    private static final SchemaSpec.StringSpec STRING = new SchemaSpec.StringSpec(0, -1);
    private static final SchemaSpec.NumberSpec NUMBER = new SchemaSpec.NumberSpec(false);
    final int depth;

    AnyValueFrame(int depth) {
      this.depth = depth;
    }

    @Override
    State step(int b, State below) {
      if (b == '{' && depth > 0) {
        return startValue(SchemaSpec.ObjectSpec.free(depth), b, below);
      }
      if (b == '[' && depth > 0) {
        return startValue(new SchemaSpec.ArraySpec(new SchemaSpec.AnyValue(depth - 1), 0, -1), b, below);
      }
      if (b == '"') {
        return startValue(STRING, b, below);
      }
      if (b == '-' || isDigit(b)) {
        return startValue(NUMBER, b, below);
      }
      if (b == 't' || b == 'f' || b == 'n') {
        return startValue(KEYWORDS, b, below);
      }
      return null;
    }
  }

  /** An object: declared keys matched byte by byte, or free keys read as strings. */
  private static final class ObjectFrame extends Frame {
    static final int OPEN = 0;
    static final int AFTER_OPEN = 1;
    static final int KEY = 2;
    static final int AFTER_KEY = 3;
    static final int AFTER_COLON = 4;
    static final int AFTER_VALUE = 5;
    static final int AFTER_COMMA = 6;
    final SchemaSpec.ObjectSpec spec;
    final int phase;
    final long used; // properties already given
    final int property; // the key just read (declared objects)
    final long candidates; // keys still matching the key being read
    final int pos; // bytes of the quoted key matched so far
    final boolean space; // the one space of this position is used

    ObjectFrame(SchemaSpec.ObjectSpec spec, int phase, long used, int property, long candidates, int pos,
        boolean space) {
      this.spec = spec;
      this.phase = phase;
      this.used = used;
      this.property = property;
      this.candidates = candidates;
      this.pos = pos;
      this.space = space;
    }

    private ObjectFrame to(int newPhase) {
      return new ObjectFrame(spec, newPhase, used, property, 0, 0, false);
    }

    private State spaced(State below) {
      return space ? null : new State(new ObjectFrame(spec, phase, used, property, candidates, pos, true), below);
    }

    private boolean complete() {
      return (used & spec.requiredMask()) == spec.requiredMask();
    }

    @Override
    State step(int b, State below) {
      switch (phase) {
        case OPEN:
          return b == '{' ? new State(to(AFTER_OPEN), below) : null;
        case AFTER_OPEN:
          if (b == ' ') return spaced(below);
          if (b == '}') return complete() ? below : null;
          return b == '"' ? beginKey(below) : null;
        case AFTER_COMMA:
          if (b == ' ') return spaced(below);
          return b == '"' ? beginKey(below) : null;
        case KEY:
          return keyByte(b, below);
        case AFTER_KEY:
          return b == ':' ? new State(to(AFTER_COLON), below) : null;
        case AFTER_COLON: {
          if (b == ' ') return spaced(below);
          if (spec.free()) {
            return startValue(new SchemaSpec.AnyValue(spec.depth() - 1), b,
                new State(to(AFTER_VALUE), below));
          }
          ObjectFrame after = new ObjectFrame(spec, AFTER_VALUE, used | (1L << property), -1, 0, 0, false);
          return startValue(spec.properties().get(property).value(), b, new State(after, below));
        }
        case AFTER_VALUE:
          if (b == ' ') return spaced(below);
          if (b == ',') {
            return spec.free() || (~used & spec.allMask()) != 0 ? new State(to(AFTER_COMMA), below) : null;
          }
          if (b == '}') return complete() ? below : null;
          return null;
        default:
          throw new IllegalStateException("object phase " + phase);
      }
    }

    private State beginKey(State below) {
      if (spec.free()) {
        return new State(new StringFrame(0, -1, StringFrame.NORMAL, 0, 0, 0, 0), new State(to(AFTER_KEY), below));
      }
      long open = ~used & spec.allMask();
      return open == 0 ? null : new State(new ObjectFrame(spec, KEY, used, -1, open, 1, false), below);
    }

    private State keyByte(int b, State below) {
      long next = 0;
      for (long rest = candidates; rest != 0; rest &= rest - 1) {
        int i = Long.numberOfTrailingZeros(rest);
        byte[] key = spec.properties().get(i).quotedKey();
        if (pos < key.length && (key[pos] & 0xff) == b) {
          if (pos + 1 == key.length) { // the closing quote: keys are distinct, so this one is the key
            return new State(new ObjectFrame(spec, AFTER_KEY, used, i, 0, 0, false), below);
          }
          next |= 1L << i;
        }
      }
      return next == 0 ? null : new State(new ObjectFrame(spec, KEY, used, -1, next, pos + 1, false), below);
    }
  }

  /** An array with an item count within bounds. */
  private static final class ArrayFrame extends Frame {
    static final int OPEN = 0;
    static final int AFTER_OPEN = 1;
    static final int AFTER_VALUE = 2;
    static final int AFTER_COMMA = 3;
    final SchemaSpec.ArraySpec spec;
    final int phase;
    final int count;
    final boolean space;

    ArrayFrame(SchemaSpec.ArraySpec spec, int phase, int count, boolean space) {
      this.spec = spec;
      this.phase = phase;
      this.count = count;
      this.space = space;
    }

    private State item(int b, State below) {
      return startValue(spec.items(), b, new State(new ArrayFrame(spec, AFTER_VALUE, count + 1, false), below));
    }

    @Override
    State step(int b, State below) {
      if (b == ' ' && phase != OPEN) {
        return space ? null : new State(new ArrayFrame(spec, phase, count, true), below);
      }
      switch (phase) {
        case OPEN:
          return b == '[' ? new State(new ArrayFrame(spec, AFTER_OPEN, 0, false), below) : null;
        case AFTER_OPEN:
          if (b == ']') return spec.minItems() == 0 ? below : null;
          return spec.maxItems() == 0 ? null : item(b, below);
        case AFTER_VALUE:
          if (b == ']') return count >= spec.minItems() ? below : null;
          if (b == ',') {
            return spec.maxItems() < 0 || count < spec.maxItems()
                ? new State(new ArrayFrame(spec, AFTER_COMMA, count, false), below) : null;
          }
          return null;
        case AFTER_COMMA:
          return item(b, below);
        default:
          throw new IllegalStateException("array phase " + phase);
      }
    }
  }

  /** A string: escapes, UTF-8 checked byte by byte, a code point count within bounds. */
  static final class StringFrame extends Frame {
    static final int OPEN = 0;
    static final int NORMAL = 1;
    static final int ESCAPE = 2;
    static final int HEX = 3;
    static final int UTF8 = 4;
    final int min;
    final int max;
    final int phase;
    final int count; // code points so far
    final int need; // HEX: hex digits to come; UTF8: continuation bytes to come
    final int lo; // UTF8: lowest next byte; HEX: 1 when the next digit must be 0-7 (no surrogates)
    final int hi; // UTF8: highest next byte

    StringFrame(int min, int max, int phase, int count, int need, int lo, int hi) {
      this.min = min;
      this.max = max;
      this.phase = phase;
      this.count = count;
      this.need = need;
      this.lo = lo;
      this.hi = hi;
    }

    private State to(int newPhase, int newCount, int newNeed, int newLo, int newHi, State below) {
      return new State(new StringFrame(min, max, newPhase, newCount, newNeed, newLo, newHi), below);
    }

    private boolean room() {
      return max < 0 || count < max;
    }

    @Override
    State step(int b, State below) {
      switch (phase) {
        case OPEN:
          return b == '"' ? to(NORMAL, 0, 0, 0, 0, below) : null;
        case NORMAL:
          if (b == '"') return count >= min ? below : null;
          if (!room() || b < 0x20) return null;
          if (b == '\\') return to(ESCAPE, count + 1, 0, 0, 0, below);
          if (b < 0x80) return to(NORMAL, count + 1, 0, 0, 0, below);
          return lead(b, below);
        case ESCAPE:
          if (b == 'u') return to(HEX, count, 4, 0, 0, below);
          return b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't'
              ? to(NORMAL, count, 0, 0, 0, below) : null;
        case HEX: {
          int digit = Character.digit(b, 16);
          if (digit < 0 || (lo == 1 && digit > 7)) return null;
          if (need == 1) return to(NORMAL, count, 0, 0, 0, below);
          return to(HEX, count, need - 1, need == 4 && digit == 0xd ? 1 : 0, 0, below);
        }
        case UTF8:
          if (b < lo || b > hi) return null;
          return need == 1 ? to(NORMAL, count, 0, 0, 0, below) : to(UTF8, count, need - 1, 0x80, 0xbf, below);
        default:
          throw new IllegalStateException("string phase " + phase);
      }
    }

    /** A UTF-8 lead byte (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
    private State lead(int b, State below) {
      int c = count + 1;
      if (b >= 0xc2 && b <= 0xdf) return to(UTF8, c, 1, 0x80, 0xbf, below);
      if (b == 0xe0) return to(UTF8, c, 2, 0xa0, 0xbf, below);
      if (b == 0xed) return to(UTF8, c, 2, 0x80, 0x9f, below);
      if (b >= 0xe1 && b <= 0xef) return to(UTF8, c, 2, 0x80, 0xbf, below);
      if (b == 0xf0) return to(UTF8, c, 3, 0x90, 0xbf, below);
      if (b >= 0xf1 && b <= 0xf3) return to(UTF8, c, 3, 0x80, 0xbf, below);
      if (b == 0xf4) return to(UTF8, c, 3, 0x80, 0x8f, below);
      return null;
    }
  }

  /** A JSON number (or an integer) with bounded digit counts; ends at the first byte that cannot continue it. */
  private static final class NumberFrame extends Frame {
    static final int START = 0;
    static final int MINUS = 1;
    static final int ZERO = 2;
    static final int INT = 3;
    static final int POINT = 4;
    static final int FRACTION = 5;
    static final int E = 6;
    static final int E_SIGN = 7;
    static final int EXPONENT = 8;
    final boolean integer;
    final int phase;
    final int digits;

    NumberFrame(boolean integer, int phase, int digits) {
      this.integer = integer;
      this.phase = phase;
      this.digits = digits;
    }

    private State to(int newPhase, int newDigits, State below) {
      return new State(new NumberFrame(integer, newPhase, newDigits), below);
    }

    @Override
    boolean canEnd() {
      return phase == ZERO || phase == INT || phase == FRACTION || phase == EXPONENT;
    }

    @Override
    State step(int b, State below) {
      boolean digit = isDigit(b);
      switch (phase) {
        case START:
          if (b == '-') return to(MINUS, 0, below);
          // fall through: the first digit
        case MINUS:
          if (b == '0') return to(ZERO, 1, below);
          return digit ? to(INT, 1, below) : null;
        case ZERO:
        case INT:
          if (digit && phase == INT && digits < MAX_INT_DIGITS) return to(INT, digits + 1, below);
          if (!integer && b == '.') return to(POINT, 0, below);
          if (!integer && (b == 'e' || b == 'E')) return to(E, 0, below);
          return digit ? null : pass(b, below);
        case POINT:
          return digit ? to(FRACTION, 1, below) : null;
        case FRACTION:
          if (digit) return digits < MAX_FRACTION_DIGITS ? to(FRACTION, digits + 1, below) : null;
          if (b == 'e' || b == 'E') return to(E, 0, below);
          return pass(b, below);
        case E:
          if (b == '+' || b == '-') return to(E_SIGN, 0, below);
          // fall through: the first exponent digit
        case E_SIGN:
          return digit ? to(EXPONENT, 1, below) : null;
        case EXPONENT:
          if (digit) return digits < MAX_EXPONENT_DIGITS ? to(EXPONENT, digits + 1, below) : null;
          return pass(b, below);
        default:
          throw new IllegalStateException("number phase " + phase);
      }
    }
  }

  /** One of a fixed set of JSON texts, matched byte by byte. */
  private static final class LiteralFrame extends Frame {
    final List<byte[]> literals;
    final int[] candidates;
    final int pos;

    LiteralFrame(List<byte[]> literals, int[] candidates, int pos) {
      this.literals = literals;
      this.candidates = candidates;
      this.pos = pos;
    }

    static LiteralFrame of(List<byte[]> literals) {
      int[] all = new int[literals.size()];
      for (int i = 0; i < all.length; i++) all[i] = i;
      return new LiteralFrame(literals, all, 0);
    }

    /** A number literal ends only where the next byte cannot continue it; any other ends at its last byte. */
    private static boolean numeric(byte[] literal) {
      return isDigit(literal[literal.length - 1]);
    }

    @Override
    boolean canEnd() {
      for (int c : candidates) {
        byte[] literal = literals.get(c);
        if (literal.length == pos && numeric(literal)) return true;
      }
      return false;
    }

    @Override
    State step(int b, State below) {
      int[] next = new int[candidates.length];
      int n = 0;
      for (int c : candidates) {
        byte[] literal = literals.get(c);
        if (pos < literal.length && (literal[pos] & 0xff) == b) {
          if (pos + 1 == literal.length && !numeric(literal)) {
            return below; // a string, object, array, true, false or null literal is complete
          }
          next[n++] = c;
        }
      }
      if (n > 0) {
        return new State(new LiteralFrame(literals, java.util.Arrays.copyOf(next, n), pos + 1), below);
      }
      return canEnd() ? pass(b, below) : null;
    }
  }

  /** Several alternatives read side by side until one is left (it then replaces this frame) or one completes. */
  private static final class AnyOfFrame extends Frame {
    final State[] alternatives; // each a stack ending in END_STATE

    AnyOfFrame(State[] alternatives) {
      this.alternatives = alternatives;
    }

    @Override
    boolean canEnd() {
      for (State a : alternatives) {
        if (JsonAutomaton.canEnd(a)) return true;
      }
      return false;
    }

    @Override
    State step(int b, State below) {
      List<State> next = new ArrayList<>(alternatives.length);
      boolean passed = false;
      for (State a : alternatives) {
        State r = a.frame.step(b, a.below);
        if (r == null) continue;
        if (r == PASSED) {
          passed = true;
        } else if (r == END_STATE) {
          return below; // one alternative's value is complete with this byte
        } else {
          next.add(r);
        }
      }
      if (next.size() == 1) {
        return rebase(next.get(0), below);
      }
      if (!next.isEmpty()) {
        return new State(new AnyOfFrame(next.toArray(new State[0])), below);
      }
      return passed ? pass(b, below) : null;
    }

    /** {@code stack} with its END_STATE bottom replaced by {@code below}. */
    private static State rebase(State stack, State below) {
      return stack == END_STATE ? below : new State(stack.frame, rebase(stack.below, below));
    }
  }
}
