package org.moellava.graph.variables;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * The model variables of one graph: {@code VariableV2} ops named exactly by {@link VariableNames} (so
 * {@code Session.save/restore} and the exporter see the contract names), each with a feedable assign op used by
 * {@link WeightLoader}.
 */
public final class ModelVariables {

  /** One created variable with its loading ops. */
  public record Entry(VariableSpec spec, Output<TFloat32> variable, Placeholder<TFloat32> loadValue,
      Assign<TFloat32> loadOp) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Graph graph;
  private final Ops tf;

  /** Creates the variables {@code specs} in {@code graph}. */
  public ModelVariables(Graph graph, Ops tf, Collection<VariableSpec> specs) {
    this.graph = graph;
    this.tf = tf;
    for (VariableSpec spec : specs) add(spec);
  }

  private void add(VariableSpec spec) {
    if (entries.containsKey(spec.name())) return;
    Output<TFloat32> variable = graph.opBuilder("VariableV2", spec.name(), graph.baseScope())
        .setAttr("shape", Shape.of(spec.shape()))
        .setAttr("dtype", DataType.DT_FLOAT)
        .build()
        .output(0);
    Ops load = tf.withSubScope("load");
    Placeholder<TFloat32> value = load.placeholder(TFloat32.class, Placeholder.shape(Shape.of(spec.shape())));
    Assign<TFloat32> assign = load.assign(variable, value);
    entries.put(spec.name(), new Entry(spec, variable, value, assign));
  }

  /** The variable called {@code name}. */
  public Operand<TFloat32> get(String name) {
    Entry e = entries.get(name);
    if (e == null) throw new IllegalArgumentException("graph has no variable '" + name + "'");
    return e.variable();
  }

  /** Whether the graph has a variable called {@code name}. */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** Every variable, in creation order. */
  public Collection<Entry> entries() {
    return entries.values();
  }

  /** Names of every variable, in creation order. */
  public Set<String> names() {
    return entries.keySet();
  }

  /** The variables whose group is in {@code groups}, in creation order. */
  public List<Entry> inGroups(Set<VariableGroup> groups) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (groups.contains(e.spec().group())) out.add(e);
    }
    return out;
  }
}
