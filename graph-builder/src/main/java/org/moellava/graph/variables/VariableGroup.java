package org.moellava.graph.variables;

/** Groups of model variables; a training stage trains a set of groups and freezes the rest. */
public enum VariableGroup {
  VISION, VISION_HEAD, PROJECTOR, EMBEDDINGS, ATTENTION, NORMS, FFN, EXPERTS, ROUTERS, LM_HEAD
}
