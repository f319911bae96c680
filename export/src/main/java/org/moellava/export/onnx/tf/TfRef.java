package org.moellava.export.onnx.tf;

/**
 * One output of a TF node, written {@code node} or {@code node:index} in a GraphDef.
 *
 * @param node the node name
 * @param index the output index
 */
public record TfRef(String node, int index) {

  /** Parses {@code "name"} or {@code "name:1"}; control inputs ({@code ^name}) are not refs. */
  public static TfRef parse(String ref) {
    if (ref.startsWith("^")) {
      throw new IllegalArgumentException("control input is not a tensor: " + ref);
    }
    int colon = ref.lastIndexOf(':');
    if (colon > 0 && ref.substring(colon + 1).chars().allMatch(Character::isDigit) && colon < ref.length() - 1) {
      return new TfRef(ref.substring(0, colon), Integer.parseInt(ref.substring(colon + 1)));
    }
    return new TfRef(ref, 0);
  }

  @Override
  public String toString() {
    return index == 0 ? node : node + ":" + index;
  }
}
