package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.moellava.error.ConfigException;

/** The decoder's normalisation: {@code rms_norm} ({@code x·rsqrt(mean(x²)+eps)·γ}) or {@code layer_norm}. */
public enum NormType {
  /** RMSNorm: a gain γ, no bias. */
  RMS_NORM("rms_norm"),
  /** LayerNorm: {@code (x-mean)/sqrt(var+eps)·γ (+β)}, biased variance. */
  LAYER_NORM("layer_norm");

  private final String id;

  NormType(String id) {
    this.id = id;
  }

  /** The name in {@code config.json}. */
  @JsonValue
  public String id() {
    return id;
  }

  /** Parses a config value; an unknown name fails naming the field. */
  @JsonCreator
  public static NormType parse(String id) {
    for (NormType t : values()) {
      if (t.id.equals(id)) return t;
    }
    throw new ConfigException("text_config.norm_type: unknown norm type '" + id + "' (expected rms_norm or layer_norm)");
  }

  @Override
  public String toString() {
    return id;
  }
}
