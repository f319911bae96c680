package org.moellava.eval.forward;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.model.GreedyDecoder;
import org.moellava.eval.model.PaddedBatch;
import org.moellava.pkg.GraphNames;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.moellava.safetensors.LongTensorValue;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.safetensors.SafetensorsWriter;

/**
 * One forward pass on given inputs, in the Hugging Face fixtures' layout ({@code reference.safetensors}):
 * reads {@code pixel_values f32 [B,3,H,W]} (optional when no row has image tokens), {@code input_ids i64 [B,S]},
 * {@code attention_mask i64 [B,S]}; computes {@code image_features [B,P,D]}, {@code logits [B,S,V]},
 * {@code router_logits.{layer} [B*S,E]} and, when asked, {@code greedy_tokens i64 [B,N]}. Positions are
 * {@code cumsum(mask)-1} (1 on padding), as transformers' {@code generate} uses with left padding; greedy decoding
 * appends the argmax N times through the KV cache, without stopping at eos.
 *
 * <p>Input ids holding MoE-LLaVA's placeholder {@code -200} once per image row follow MoE-LLaVA's convention
 * ({@link ImagePlaceholders}): the sequence is expanded (each placeholder becomes the row's P image features, rows
 * re-padded on the left to {@code S' = max(real length + P - 1 for image rows)}), the outputs cover the expanded
 * sequence ({@code logits [B,S',V]}, {@code router_logits.{layer} [B*S',E]}, batch-major), hold 0 at its padding
 * positions, and {@code expanded_attention_mask i64 [B,S']} says which positions are real. Row b's image is
 * {@code pixel_values[b]} (a row without a placeholder has one too, unused).
 */
public final class ForwardTool {
  /** Output name of the greedy continuation. */
  public static final String GREEDY_TOKENS = "greedy_tokens";
  private static final String ROUTER_PREFIX = "router_logits.";

  private ForwardTool() {}

  /**
   * The inputs.
   *
   * @param pixelValues {@code [B,3,H,W]}, or null when no row has an image
   * @param inputIds {@code [B,S]}
   * @param attentionMask {@code [B,S]} of 0/1
   */
  public record Inputs(TensorValue pixelValues, IntTensorValue inputIds, IntTensorValue attentionMask) {}

  /** Output name of the expanded sequence's mask (MoE-LLaVA's convention only). */
  public static final String EXPANDED_ATTENTION_MASK = "expanded_attention_mask";

  /** Reads the inputs from a safetensors file. */
  public static Inputs read(Path file) {
    return read(file, "");
  }

  /**
   * Reads the inputs {@code <prefix>input_ids}, {@code <prefix>attention_mask} and {@code <prefix>pixel_values} from a
   * safetensors file (a reference file may hold several cases, such as {@code b2.input_ids}).
   */
  public static Inputs read(Path file, String prefix) {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : List.of(GraphNames.INPUT_IDS, GraphNames.ATTENTION_MASK)) {
        if (!f.contains(prefix + name)) {
          throw new InvalidInputException(file + ": missing input tensor '" + prefix + name + "'");
        }
      }
      IntTensorValue ids = ints(file, GraphNames.INPUT_IDS, f.readLong(prefix + GraphNames.INPUT_IDS));
      IntTensorValue mask = ints(file, GraphNames.ATTENTION_MASK, f.readLong(prefix + GraphNames.ATTENTION_MASK));
      if (ids.shape().length != 2 || !java.util.Arrays.equals(ids.shape(), mask.shape())) {
        throw new InvalidInputException(file + ": input_ids " + ids.shapeText() + " and attention_mask "
            + mask.shapeText() + " must both be [B, S]");
      }
      for (int m : mask.data()) {
        if (m != 0 && m != 1) throw new InvalidInputException(file + ": attention_mask holds " + m + "; only 0 and 1 are allowed");
      }
      TensorValue pixels = f.contains(prefix + GraphNames.PIXEL_VALUES) ? f.readFloat(prefix + GraphNames.PIXEL_VALUES)
          : null;
      return new Inputs(pixels, ids, mask);
    }
  }

  /** Runs the forward pass (and {@code generate} greedy tokens when positive) and returns the named outputs. */
  public static Outputs run(Backend backend, Inputs in, int generate) {
    if (generate < 0) throw new InvalidInputException("--generate must not be negative, got " + generate);
    ModelInfo info = backend.info();
    int b = (int) in.inputIds().shape()[0];
    TensorValue features;
    if (in.pixelValues() != null) {
      if (in.pixelValues().shape().length != 4 || in.pixelValues().shape()[0] != b) {
        throw new InvalidInputException("pixel_values: expected [" + b + ", 3, H, W] (one image per row), got "
            + in.pixelValues().shapeText());
      }
      features = Tensors.imageFeatures(backend, in.pixelValues()); // [B, P, D]
    } else {
      features = TensorValue.filled(0f, b, info.numImageTokens(), info.hiddenSize());
    }
    GreedyDecoder decoder = new GreedyDecoder(backend);
    ImagePlaceholders.Expanded expanded = ImagePlaceholders.uses(in.inputIds())
        ? ImagePlaceholders.expand(in.inputIds(), in.attentionMask(), info.numImageTokens(), info.imageTokenId(),
            info.padTokenId())
        : null;
    if (expanded != null && in.pixelValues() == null) {
      throw new InvalidInputException("input_ids hold the image placeholder " + ImagePlaceholders.IMAGE_TOKEN_INDEX
          + " but there are no pixel_values");
    }
    PaddedBatch batch = expanded == null ? PaddedBatch.of(in.inputIds(), in.attentionMask())
        : PaddedBatch.of(expanded.ids(), expanded.mask());
    Tensors.Decoded out = decoder.prefill(batch, features);
    LongTensorValue greedy = null;
    if (generate > 0) {
      List<int[]> tokens = decoder.continueGreedy(batch, out, generate, -1);
      long[] data = new long[b * generate];
      for (int row = 0; row < b; row++) {
        for (int t = 0; t < generate; t++) data[row * generate + t] = tokens.get(row)[t];
      }
      greedy = new LongTensorValue(new long[] {b, generate}, data);
    }
    TensorValue logits = out.logits();
    Map<Integer, TensorValue> routers = out.routerLogits();
    LongTensorValue expandedMask = null;
    if (expanded != null) {
      int[] mask = expanded.mask().data();
      logits = zeroPadding(logits, mask);
      Map<Integer, TensorValue> zeroed = new LinkedHashMap<>();
      routers.forEach((layer, r) -> zeroed.put(layer, zeroPadding(r, mask)));
      routers = zeroed;
      long[] m = new long[mask.length];
      for (int i = 0; i < m.length; i++) m[i] = mask[i];
      expandedMask = new LongTensorValue(expanded.mask().shape().clone(), m);
    }
    return new Outputs(in.pixelValues() == null ? null : features, logits, routers, greedy, expandedMask);
  }

  /** {@code t} ({@code [B, S, ...]} or {@code [B*S, ...]}) with the rows of padding positions set to 0. */
  private static TensorValue zeroPadding(TensorValue t, int[] mask) {
    float[] d = t.data().clone();
    int width = d.length / mask.length;
    for (int i = 0; i < mask.length; i++) {
      if (mask[i] == 0) java.util.Arrays.fill(d, i * width, (i + 1) * width, 0f);
    }
    return new TensorValue(t.shape().clone(), d);
  }

  /**
   * The outputs.
   *
   * @param imageFeatures {@code [B,P,D]}, or null without pixel values
   * @param logits {@code [B,S,V]}
   * @param routerLogits per MoE layer {@code [B*S,E]}
   * @param greedyTokens {@code [B,N]}, or null without {@code --generate}
   * @param expandedAttentionMask {@code [B,S']} with MoE-LLaVA's placeholder convention, otherwise null
   */
  public record Outputs(TensorValue imageFeatures, TensorValue logits, Map<Integer, TensorValue> routerLogits,
      LongTensorValue greedyTokens, LongTensorValue expandedAttentionMask) {
    public Outputs {
      routerLogits = new LinkedHashMap<>(routerLogits);
    }

    /** Writes the outputs under the fixtures' names, atomically. */
    public void write(Path target) {
      SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
      if (imageFeatures != null) w.addFloat(GraphNames.IMAGE_FEATURES, imageFeatures);
      w.addFloat(GraphNames.LOGITS, logits);
      routerLogits.forEach((layer, t) -> w.addFloat(ROUTER_PREFIX + layer, t));
      if (greedyTokens != null) w.addLong(GREEDY_TOKENS, greedyTokens);
      if (expandedAttentionMask != null) w.addLong(EXPANDED_ATTENTION_MASK, expandedAttentionMask);
      w.write(target);
    }
  }

  private static IntTensorValue ints(Path file, String name, LongTensorValue t) {
    int[] data = new int[t.data().length];
    for (int i = 0; i < data.length; i++) {
      long v = t.data()[i];
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new InvalidInputException(file + ": " + name + " holds " + v + ", outside the int32 range");
      }
      data[i] = (int) v;
    }
    return new IntTensorValue(t.shape().clone(), data);
  }
}
