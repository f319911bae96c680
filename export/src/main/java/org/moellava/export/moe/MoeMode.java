package org.moellava.export.moe;

import java.util.Arrays;
import org.moellava.error.InvalidInputException;

/** How a package expresses the MoE layers in ONNX. */
public enum MoeMode {
  /** Standard ops only (TopK, Gather, NonZero, ScatterND, MatMul): ONNX Runtime and TensorRT; sparse dispatch. */
  STANDARD("standard"),
  /** One {@code com.microsoft.MoE} node per MoE layer: ONNX Runtime only. */
  ORT_FUSED("ort-fused");

  private final String id;

  MoeMode(String id) {
    this.id = id;
  }

  /** The name used on the command line and in {@code model.json}. */
  public String id() {
    return id;
  }

  /** The mode called {@code id}. */
  public static MoeMode parse(String id) {
    return Arrays.stream(values()).filter(m -> m.id.equals(id)).findFirst().orElseThrow(() ->
        new InvalidInputException("--moe " + id + ": unknown MoE export mode (standard, ort-fused)"));
  }
}
