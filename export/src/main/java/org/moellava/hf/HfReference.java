package org.moellava.hf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.safetensors.LongTensorValue;
import org.moellava.safetensors.SafetensorsFile;

/**
 * The inputs and outputs {@code transformers} computed for a reference fixture ({@code reference.safetensors}).
 *
 * @param pixelValues {@code [B, 3, H, W]}, already normalised
 * @param inputIds {@code [B, S]}, the image placeholder expanded to P copies of the image token
 * @param attentionMask {@code [B, S]}, 1 for real tokens
 * @param imageFeatures {@code [B, P, D]}, the projector's output
 * @param logits {@code [B, S, V]} of one forward pass over the whole sequence
 * @param routerLogits per MoE layer index, {@code [B*S, E]} router logits {@code x·Wg}
 * @param greedyTokens {@code [B, N]}, the tokens greedy generation appends
 */
public record HfReference(TensorValue pixelValues, LongTensorValue inputIds, LongTensorValue attentionMask,
    TensorValue imageFeatures, TensorValue logits, Map<Integer, TensorValue> routerLogits,
    LongTensorValue greedyTokens) {

  /** The file name in a fixture folder. */
  public static final String FILE = "reference.safetensors";
  private static final String ROUTER_PREFIX = "router_logits.";

  public HfReference {
    routerLogits = Collections.unmodifiableMap(new TreeMap<>(routerLogits));
  }

  /** Reads {@code reference.safetensors}; integer tensors may be I64 or I32. */
  public static HfReference read(Path file) {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      Map<Integer, TensorValue> routers = new TreeMap<>();
      for (String name : f.names()) {
        if (!name.startsWith(ROUTER_PREFIX)) continue;
        String layer = name.substring(ROUTER_PREFIX.length());
        if (!layer.matches("\\d{1,6}")) {
          throw new InvalidInputException(file + ": tensor '" + name + "': expected router_logits.<layer index>");
        }
        routers.put(Integer.parseInt(layer), f.readFloat(name));
      }
      return new HfReference(
          f.readFloat("pixel_values"),
          f.readLong("input_ids"),
          f.readLong("attention_mask"),
          f.readFloat("image_features"),
          f.readFloat("logits"),
          routers,
          f.readLong("greedy_tokens"));
    }
  }
}
