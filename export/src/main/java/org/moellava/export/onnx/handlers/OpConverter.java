package org.moellava.export.onnx.handlers;

import java.util.List;
import org.moellava.export.onnx.tf.TfNode;

/** Converts one TF node into ONNX nodes through the context; returns the ONNX name of each TF output. */
@FunctionalInterface
public interface OpConverter {
  List<String> convert(TfNode node, ConversionContext ctx);
}
