package org.moellava.serve.structured;

import java.util.List;

/**
 * A JSON value shape the output automaton ({@link JsonAutomaton}) can enforce byte by byte: what
 * {@link SchemaCompiler} makes of the supported subset of JSON Schema, or "any JSON value" for {@code json_object}.
 */
public sealed interface SchemaSpec {

  /**
   * Any JSON value (objects with any keys, arrays of anything, strings, numbers, true, false, null), nested at most
   * {@code depth} objects/arrays deep (0: scalars only).
   */
  record AnyValue(int depth) implements SchemaSpec {}

  /**
   * An object whose keys are some of {@code properties} (each at most once, in any order), with every property whose
   * bit is set in {@code requiredMask} (bit i: {@code properties.get(i)}); or, when {@code free}, any keys with values
   * {@code AnyValue(depth - 1)}.
   */
  record ObjectSpec(List<Property> properties, long requiredMask, boolean free, int depth) implements SchemaSpec {
    /** Most properties one object may declare (a bit each in a long). */
    public static final int MAX_PROPERTIES = 64;

    public ObjectSpec {
      properties = List.copyOf(properties);
      if (properties.size() > MAX_PROPERTIES) {
        throw new IllegalArgumentException("at most " + MAX_PROPERTIES + " properties, got " + properties.size());
      }
    }

    /** An object with any keys and any values nested at most {@code depth - 1} deeper. */
    public static ObjectSpec free(int depth) {
      return new ObjectSpec(List.of(), 0, true, depth);
    }

    /** The mask of every declared property. */
    long allMask() {
      return properties.size() == 64 ? -1L : (1L << properties.size()) - 1;
    }
  }

  /**
   * One property of an {@link ObjectSpec}.
   *
   * @param name the key
   * @param quotedKey the key as a compact JSON string, quotes included, UTF-8: the only spelling accepted
   */
  record Property(String name, byte[] quotedKey, SchemaSpec value) {}

  /** An array of {@code items}, between {@code minItems} and {@code maxItems} ({@code -1}: no limit) of them. */
  record ArraySpec(SchemaSpec items, int minItems, int maxItems) implements SchemaSpec {}

  /** A string of {@code minLength} to {@code maxLength} ({@code -1}: no limit) code points. */
  record StringSpec(int minLength, int maxLength) implements SchemaSpec {}

  /** A number; {@code integer}: no fraction and no exponent. */
  record NumberSpec(boolean integer) implements SchemaSpec {}

  /** Exactly one of {@code literals}, each a compact JSON text in UTF-8 ({@code enum}, {@code const}, booleans, null). */
  record LiteralSpec(List<byte[]> literals) implements SchemaSpec {
    public LiteralSpec {
      literals = List.copyOf(literals);
    }
  }

  /** A value matching at least one of {@code alternatives} ({@code anyOf}, or a list of types). */
  record AnyOfSpec(List<SchemaSpec> alternatives) implements SchemaSpec {
    public AnyOfSpec {
      alternatives = List.copyOf(alternatives);
    }
  }
}
