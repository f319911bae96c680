package org.moellava.serve.engine;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;

/**
 * Checks that what a backend returned has the element counts of the shapes the engine is about to read, so a
 * broken backend fails its call with a message naming the tensor instead of reading out of bounds or mixing
 * rows. Only sizes are checked; values are not (the sampler skips NaN logits itself).
 */
final class BackendOutputChecks {
  private final ModelInfo info;
  private final String backendName;

  BackendOutputChecks(ModelInfo info, String backendName) {
    this.info = info;
    this.backendName = backendName;
  }

  /** {@code inputs_embeds [B, S, D]}. */
  void embeds(FloatBuffer embeds, int batch, int seq) {
    requireElements("inputs_embeds", embeds, (long) batch * seq * info.hiddenSize());
  }

  /** {@code image_features [I, P, D]}. */
  void imageFeatures(FloatBuffer features, int images) {
    requireElements("image_features", features, (long) images * info.numImageTokens() * info.hiddenSize());
  }

  /**
   * The outputs of a decoder call on {@code [B, S]} new positions over a past of {@code past}: {@code logits
   * [B, S, V]} (or {@code [B, 1, V]} for the last position only), {@code present.{i}.key/value
   * [B, Hkv, past + S, hd]} for every layer, {@code router_logits.{j} [B * S, E]} for every MoE layer.
   */
  void decoderOutput(DecoderOutput out, int batch, int seq, int past) {
    int positions = out.lastPositionOnly() ? 1 : seq;
    requireElements("logits", out.logits(), (long) batch * positions * info.vocabSize());
    if (out.presentKeys().size() != info.numLayers() || out.presentValues().size() != info.numLayers()) {
      throw new IllegalStateException("backend " + backendName + " returned " + out.presentKeys().size()
          + " present keys and " + out.presentValues().size() + " values, expected " + info.numLayers());
    }
    long present = (long) batch * info.kvWidth() * (past + seq);
    for (int layer = 0; layer < info.numLayers(); layer++) {
      requireElements("present." + layer + ".key", out.presentKeys().get(layer), present);
      requireElements("present." + layer + ".value", out.presentValues().get(layer), present);
    }
    if (out.routerLogits().size() != info.moeLayers().size()) {
      throw new IllegalStateException("backend " + backendName + " returned " + out.routerLogits().size()
          + " router logits, expected one per MoE layer: " + info.moeLayers().size());
    }
    for (int j = 0; j < info.moeLayers().size(); j++) {
      requireElements("router_logits." + j, out.routerLogits().get(j), (long) batch * seq * info.numExperts());
    }
  }

  private void requireElements(String name, Buffer buffer, long expected) {
    if (buffer == null || buffer.limit() != expected) {
      throw new IllegalStateException("backend " + backendName + " returned " + name + " with "
          + (buffer == null ? "no buffer" : buffer.limit() + " elements") + ", expected " + expected);
    }
  }
}
