package org.moellava.graph;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.VariableSpec;

import java.util.List;
import org.moellava.config.ModelConfig;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;

/** A TF graph of (part of) the model together with its variables; closing it closes the graph. */
public abstract class ModelGraph implements AutoCloseable {
  protected final ModelConfig config;
  protected final Graph graph;
  protected final Ops tf;
  protected final ModelVariables variables;

  protected ModelGraph(ModelConfig config, List<VariableSpec> specs) {
    this.config = config;
    this.graph = new Graph();
    try {
      this.tf = Ops.create(graph);
      this.variables = new ModelVariables(graph, tf, specs);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The model configuration the graph was built from. */
  public ModelConfig config() {
    return config;
  }

  /** The graph. */
  public Graph graph() {
    return graph;
  }

  /** Ops that add to this graph. */
  public Ops ops() {
    return tf;
  }

  /** The graph's model variables, named by {@link VariableNames}. */
  public ModelVariables variables() {
    return variables;
  }

  @Override
  public void close() {
    graph.close();
  }
}
