package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.moellava.error.ConfigException;

/** The shape of the decoder's FFN, shared by the dense FFN and every expert. */
public enum MlpType {
  /**
   * Gated: {@code down(act(gate(x)) · up(x))} with {@code act = hidden_act} (silu), no biases. Qwen-1's
   * {@code c_proj(w1(x) · silu(w2(x)))} is this MLP with gate = w2, up = w1, down = c_proj.
   */
  SWIGLU("swiglu"),
  /** Two layers: {@code fc2(act(fc1(x)))} with {@code act = hidden_act} (Phi-2: gelu_new), optional biases. */
  FC("fc");

  private final String id;

  MlpType(String id) {
    this.id = id;
  }

  /** The name in {@code config.json}. */
  @JsonValue
  public String id() {
    return id;
  }

  /** Parses a config value; an unknown name fails naming the field. */
  @JsonCreator
  public static MlpType parse(String id) {
    for (MlpType t : values()) {
      if (t.id.equals(id)) return t;
    }
    throw new ConfigException("text_config.mlp_type: unknown MLP type '" + id + "' (expected swiglu or fc)");
  }

  @Override
  public String toString() {
    return id;
  }
}
