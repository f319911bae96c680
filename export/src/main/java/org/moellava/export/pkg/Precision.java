package org.moellava.export.pkg;

import java.util.Arrays;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.conformance.Tolerance;

/** Numeric precision of a package's weights and activations. */
public enum Precision {
  /** float32 throughout. */
  FP32("fp32"),
  /** float16 weights and activations; router logits, softmax and top-k stay float32. */
  FP16("fp16");

  private final String id;

  Precision(String id) {
    this.id = id;
  }

  /** The name used on the command line and in {@code model.json}. */
  public String id() {
    return id;
  }

  /** The relative error against TF that validation allows, which also bounds near-tie routing flips. */
  public Tolerance tolerance() {
    return Tolerance.forPrecision(id);
  }

  /** The precision called {@code id}. */
  public static Precision parse(String id) {
    return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst().orElseThrow(() ->
        new InvalidInputException("--precision " + id + ": unknown precision (fp32, fp16)"));
  }
}
