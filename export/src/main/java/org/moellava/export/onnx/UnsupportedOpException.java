package org.moellava.export.onnx;

import org.moellava.error.InvalidInputException;

/**
 * A TF node the converter cannot express exactly in ONNX: no handler for its op type at the target opset,
 * or an attribute/input combination the handler does not support. The message names the op type, the node
 * and the graph.
 */
public class UnsupportedOpException extends InvalidInputException {
  private final String opType;
  private final String nodeName;
  private final String graphName;

  public UnsupportedOpException(String graphName, String opType, String nodeName, String problem) {
    super("graph " + graphName + ": TF op " + opType + " (node '" + nodeName + "'): " + problem);
    this.opType = opType;
    this.nodeName = nodeName;
    this.graphName = graphName;
  }

  public String opType() {
    return opType;
  }

  public String nodeName() {
    return nodeName;
  }

  public String graphName() {
    return graphName;
  }
}
