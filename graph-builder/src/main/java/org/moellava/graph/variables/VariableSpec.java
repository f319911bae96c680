package org.moellava.graph.variables;

import org.moellava.tensor.TensorValue;

import java.util.Arrays;

/**
 * One model variable: its {@link VariableNames} name, its shape and how a fresh model initialises it.
 *
 * @param name the variable name (the checkpoint key)
 * @param shape the variable's shape in TF layout
 * @param init how {@link WeightInitializer} fills it
 */
public record VariableSpec(String name, long[] shape, Init init) {

  /** Initialisation kinds. */
  public enum Init {
    /** Normal(0, 0.02). */
    NORMAL,
    /** All ones (norm gains). */
    ONES,
    /** All zeros (biases, norm offsets). */
    ZEROS
  }

  public VariableSpec {
    shape = shape.clone();
  }

  /** The group a training stage selects this variable by. */
  public VariableGroup group() {
    return VariableNames.groupOf(name);
  }

  /** Number of elements. */
  public long size() {
    return TensorValue.elementCount(shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VariableSpec s && name.equals(s.name) && Arrays.equals(shape, s.shape) && init == s.init;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
