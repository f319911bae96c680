package org.moellava.export.pkg;

import java.util.Arrays;
import org.moellava.error.InvalidInputException;

/** Numeric precision of a package's weights and activations. */
public enum Precision {
  /** float32 throughout. */
  FP32("fp32", 1e-4),
  /** float16 weights and activations; router logits, softmax and top-k stay float32. */
  FP16("fp16", 1e-2);

  private final String id;
  private final double tolerance;

  Precision(String id, double tolerance) {
    this.id = id;
    this.tolerance = tolerance;
  }

  /** The name used on the command line and in {@code model.json}. */
  public String id() {
    return id;
  }

  /** The relative error against TF that validation allows, and the router-logit margin of a near-tie. */
  public double tolerance() {
    return tolerance;
  }

  /** The precision called {@code id}. */
  public static Precision parse(String id) {
    return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst().orElseThrow(() ->
        new InvalidInputException("--precision " + id + ": unknown precision (fp32, fp16)"));
  }
}
