package org.moellava.export.onnx.optimize;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A tensor dimension (or an integer element of a shape tensor) as a symbolic monomial: {@code coef} times the
 * product of {@code atoms}. An atom names one runtime value (a graph input's dim, an unknown dim met during
 * inference, or a sum). Two equal {@code SymDim}s always hold the same runtime value; unequal ones may still be
 * equal at runtime (the analysis is conservative, never wrong).
 */
record SymDim(long coef, List<String> atoms) {
  SymDim {
    atoms = List.copyOf(atoms);
  }

  /** A static value. */
  static SymDim of(long value) {
    return new SymDim(value, List.of());
  }

  /** One runtime value. */
  static SymDim atom(String name) {
    return new SymDim(1, List.of(name));
  }

  boolean isConstant() {
    return atoms.isEmpty();
  }

  /** Whether this is the static value {@code v}. */
  boolean is(long v) {
    return isConstant() && coef == v;
  }

  SymDim times(SymDim o) {
    long c = Math.multiplyExact(coef, o.coef);
    if (c == 0) return of(0);
    List<String> a = new ArrayList<>(atoms);
    a.addAll(o.atoms);
    Collections.sort(a);
    return new SymDim(c, a);
  }

  SymDim plus(SymDim o) {
    if (isConstant() && o.isConstant()) return of(Math.addExact(coef, o.coef));
    if (atoms.equals(o.atoms)) {
      long c = Math.addExact(coef, o.coef);
      return c == 0 ? of(0) : new SymDim(c, atoms);
    }
    if (is(0)) return o;
    if (o.is(0)) return this;
    String a = toString();
    String b = o.toString();
    return atom("(" + (a.compareTo(b) <= 0 ? a + "+" + b : b + "+" + a) + ")");
  }

  /** The exact quotient, when {@code o}'s coefficient divides ours and its atoms are among ours. */
  Optional<SymDim> dividedBy(SymDim o) {
    if (o.coef == 0 || coef % o.coef != 0) return Optional.empty();
    List<String> rest = new ArrayList<>(atoms);
    for (String a : o.atoms) {
      if (!rest.remove(a)) return Optional.empty();
    }
    return Optional.of(coef / o.coef == 0 ? of(0) : new SymDim(coef / o.coef, rest));
  }

  @Override
  public String toString() {
    if (isConstant()) return Long.toString(coef);
    String p = String.join("*", atoms);
    return coef == 1 ? p : coef + "*" + p;
  }
}
