package org.moellava.eval;

import java.util.Locale;
import org.moellava.error.InvalidInputException;

/** Which benchmarks {@code moellava eval} runs. */
public enum EvalSuite {
  VQA, POPE, CAPTION, ALL;

  /** Parses {@code vqa}, {@code pope}, {@code caption} or {@code all}. */
  public static EvalSuite parse(String name) {
    for (EvalSuite s : values()) {
      if (s.name().toLowerCase(Locale.ROOT).equals(name)) return s;
    }
    throw new InvalidInputException("--suite must be vqa, pope, caption or all, got '" + name + "'");
  }

  /** Whether this suite includes {@code part}. */
  public boolean includes(EvalSuite part) {
    return this == ALL || this == part;
  }
}
