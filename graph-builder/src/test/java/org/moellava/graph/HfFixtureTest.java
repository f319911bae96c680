package org.moellava.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;

/**
 * The inference graphs against Hugging Face transformers' own outputs for tiny random LLaVA + Qwen2-MoE models
 * ({@code /work/shared/fixtures}, or {@code -Dmoellava.fixtures=DIR}): image features, logits, router logits and
 * greedy decoding through the KV cache.
 */
class HfFixtureTest {
  private static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "/work/shared/fixtures"));

  @ParameterizedTest
  @ValueSource(strings = {"a", "b"})
  void inferenceGraphsReproduceTransformers(String variant) throws Exception {
    Path dir = FIXTURES.resolve("hf-llava-qwen2moe-" + variant);
    assumeTrue(Files.isDirectory(dir), "fixtures not present: " + dir);
    ModelConfig config = config(dir);
    Map<String, TensorValue> weights = weights(config, new SafetensorsFile(dir.resolve("model.safetensors")));
    SafetensorsFile ref = new SafetensorsFile(dir.resolve("reference.safetensors"));
    long[] idShape = ref.shape("input_ids");
    int b = (int) idShape[0];
    int s = (int) idShape[1];
    int[] ids = ref.longsAsInts("input_ids");
    int[] mask = ref.longsAsInts("attention_mask");
    int[] positions = TestData.positions(mask, b, s);
    try (TfModelRunner runner = new TfModelRunner(config, weights)) {
      TensorValue features = runner.imageFeatures(ref.floats("pixel_values"));
      TfTest.assertClose("image_features", ref.floats("image_features").data(), features.data(), 1e-5);
      TensorValue embeds = runner.embed(IntTensorValue.matrix(b, s, ids), features);
      TfModelRunner.DecoderOutput out = runner.decode(embeds, IntTensorValue.matrix(b, s, mask),
          IntTensorValue.matrix(b, s, positions), TfModelRunner.KvCache.empty(config.textConfig(), b));
      TfTest.assertClose("logits", ref.floats("logits").data(), out.logits().data(), 1e-5);
      for (int layer : config.textConfig().moeLayerIndices()) {
        TfTest.assertClose("router_logits." + layer, ref.floats("router_logits." + layer).data(),
            out.routerLogits().get(layer).data(), 1e-4);
      }
      int[] expected = ref.longsAsInts("greedy_tokens");
      int steps = expected.length / b;
      assertArrayEquals(expected, greedy(runner, config, out, mask, positions, b, s, steps), "greedy tokens");
    }
  }

  /** Greedy decoding through the KV cache, one token per step. */
  private static int[] greedy(TfModelRunner runner, ModelConfig config, TfModelRunner.DecoderOutput prefill,
      int[] mask, int[] positions, int b, int s, int steps) {
    int v = config.textConfig().vocabSize();
    int[] out = new int[b * steps];
    TfModelRunner.DecoderOutput last = prefill;
    int length = s;
    List<Integer> maskList = new ArrayList<>();
    for (int m : mask) maskList.add(m);
    int[] nextPos = new int[b];
    for (int row = 0; row < b; row++) nextPos[row] = positions[row * s + s - 1] + 1;
    int seenLength = s;
    for (int step = 0; step < steps; step++) {
      int[] next = new int[b];
      int lastIndex = (int) last.logits().shape()[1] - 1;
      for (int row = 0; row < b; row++) {
        int best = 0;
        int base = (row * (lastIndex + 1) + lastIndex) * v;
        for (int j = 1; j < v; j++) if (last.logits().data()[base + j] > last.logits().data()[base + best]) best = j;
        next[row] = best;
        out[row * steps + step] = best;
      }
      if (step == steps - 1) break;
      int p = config.visionConfig().numPatches();
      TensorValue embeds = runner.embed(IntTensorValue.matrix(b, 1, next),
          TensorValue.filled(0f, b, p, config.textConfig().hiddenSize()));
      length = seenLength + 1;
      int[] newMask = new int[b * length];
      for (int row = 0; row < b; row++) {
        for (int t = 0; t < seenLength; t++) newMask[row * length + t] = maskList.get(row * seenLength + t);
        newMask[row * length + seenLength] = 1;
      }
      maskList.clear();
      for (int m : newMask) maskList.add(m);
      seenLength = length;
      last = runner.decode(embeds, IntTensorValue.matrix(b, length, newMask), IntTensorValue.matrix(b, 1, nextPos.clone()),
          last.present());
      for (int row = 0; row < b; row++) nextPos[row]++;
    }
    return out;
  }

  private static ModelConfig config(Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode c = json.readTree(dir.resolve("config.json").toFile());
    JsonNode ref = json.readTree(dir.resolve("reference.json").toFile());
    JsonNode v = c.get("vision_config");
    JsonNode t = c.get("text_config");
    VisionConfig vision = new VisionConfig(v.get("hidden_size").asInt(), v.get("intermediate_size").asInt(),
        v.get("num_hidden_layers").asInt(), v.get("num_attention_heads").asInt(), v.get("num_channels").asInt(),
        v.get("image_size").asInt(), v.get("patch_size").asInt(), v.get("layer_norm_eps").asDouble(),
        v.get("hidden_act").asText());
    List<Integer> moeLayers = new ArrayList<>();
    ref.get("moe_layers").forEach(n -> moeLayers.add(n.asInt()));
    double theta = t.has("rope_parameters") ? t.get("rope_parameters").get("rope_theta").asDouble()
        : t.get("rope_theta").asDouble();
    TextConfig text = new TextConfig(t.get("vocab_size").asInt(), t.get("hidden_size").asInt(),
        t.get("intermediate_size").asInt(), t.get("moe_intermediate_size").asInt(), t.get("num_hidden_layers").asInt(),
        t.get("num_attention_heads").asInt(), t.get("num_key_value_heads").asInt(),
        t.get("max_position_embeddings").asInt(), theta, t.get("rms_norm_eps").asDouble(), t.get("hidden_act").asText(),
        t.get("tie_word_embeddings").asBoolean(), t.get("num_experts").asInt(), t.get("num_experts_per_tok").asInt(),
        t.get("norm_topk_prob").asBoolean(), MoeLayers.explicit(moeLayers), 1.5, 2.0, 0.01, false, 0, 0);
    ModelConfig tiny = Presets.get(Presets.TINY);
    return ConfigValidator.validate(new ModelConfig("llava", c.get("image_token_index").asInt(),
        c.get("vision_feature_layer").asInt(), c.get("projector_hidden_act").asText(), vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training()), dir.toString());
  }

  /** HF tensors to {@link VariableNames} in TF layout (linear weights transposed, conv OIHW to HWIO, experts stacked). */
  private static Map<String, TensorValue> weights(ModelConfig config, SafetensorsFile st) {
    Map<String, TensorValue> out = new HashMap<>();
    String vt = "vision_tower.";
    out.put(VariableNames.PATCH_EMBEDDING_KERNEL, permute(st.floats(vt + "embeddings.patch_embedding.weight"), 2, 3, 1, 0));
    out.put(VariableNames.CLASS_EMBEDDING, st.floats(vt + "embeddings.class_embedding"));
    out.put(VariableNames.POSITION_EMBEDDING, st.floats(vt + "embeddings.position_embedding.weight"));
    norm(out, st, VariableNames.PRE_LAYERNORM, vt + "pre_layrnorm", true);
    norm(out, st, VariableNames.POST_LAYERNORM, vt + "post_layernorm", true);
    for (int i = 0; i < config.visionConfig().numHiddenLayers(); i++) {
      String hf = vt + "encoder.layers." + i + ".";
      String p = VariableNames.visionLayer(i);
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
        linear(out, st, p + "/self_attn/" + proj, hf + "self_attn." + proj, true);
      }
      norm(out, st, p + "/layer_norm1", hf + "layer_norm1", true);
      norm(out, st, p + "/layer_norm2", hf + "layer_norm2", true);
      linear(out, st, p + "/mlp/fc1", hf + "mlp.fc1", true);
      linear(out, st, p + "/mlp/fc2", hf + "mlp.fc2", true);
    }
    linear(out, st, VariableNames.PROJECTOR_LINEAR_1, "multi_modal_projector.linear_1", true);
    linear(out, st, VariableNames.PROJECTOR_LINEAR_2, "multi_modal_projector.linear_2", true);
    String lm = "language_model.model.";
    out.put(VariableNames.EMBED_TOKENS, st.floats(lm + "embed_tokens.weight"));
    out.put(VariableNames.FINAL_NORM + "/gamma", st.floats(lm + "norm.weight"));
    out.put(VariableNames.LM_HEAD_KERNEL, permute(st.floats("language_model.lm_head.weight"), 1, 0));
    TextConfig t = config.textConfig();
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      String hf = lm + "layers." + i + ".";
      String p = VariableNames.decoderLayer(i);
      out.put(p + "/input_layernorm/gamma", st.floats(hf + "input_layernorm.weight"));
      out.put(p + "/post_attention_layernorm/gamma", st.floats(hf + "post_attention_layernorm.weight"));
      for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
        linear(out, st, p + "/self_attn/" + proj, hf + "self_attn." + proj, true);
      }
      linear(out, st, p + "/self_attn/o_proj", hf + "self_attn.o_proj", false);
      if (t.isMoeLayer(i)) {
        out.put(VariableNames.routerKernel(i), permute(st.floats(hf + "mlp.gate.weight"), 1, 0));
        out.put(VariableNames.expertsGate(i), experts(st, hf, "gate_proj", t.numExperts()));
        out.put(VariableNames.expertsUp(i), experts(st, hf, "up_proj", t.numExperts()));
        out.put(VariableNames.expertsDown(i), experts(st, hf, "down_proj", t.numExperts()));
      } else {
        out.put(VariableNames.denseGate(i), permute(st.floats(hf + "mlp.gate_proj.weight"), 1, 0));
        out.put(VariableNames.denseUp(i), permute(st.floats(hf + "mlp.up_proj.weight"), 1, 0));
        out.put(VariableNames.denseDown(i), permute(st.floats(hf + "mlp.down_proj.weight"), 1, 0));
      }
    }
    return out;
  }

  private static TensorValue experts(SafetensorsFile st, String hf, String proj, int experts) {
    List<TensorValue> parts = new ArrayList<>();
    for (int e = 0; e < experts; e++) parts.add(permute(st.floats(hf + "mlp.experts." + e + "." + proj + ".weight"), 1, 0));
    int size = parts.get(0).data().length;
    float[] data = new float[size * experts];
    for (int e = 0; e < experts; e++) System.arraycopy(parts.get(e).data(), 0, data, e * size, size);
    long[] shape = {experts, parts.get(0).shape()[0], parts.get(0).shape()[1]};
    return new TensorValue(shape, data);
  }

  private static void linear(Map<String, TensorValue> out, SafetensorsFile st, String name, String hf, boolean bias) {
    out.put(name + "/kernel", permute(st.floats(hf + ".weight"), 1, 0));
    if (bias) out.put(name + "/bias", st.floats(hf + ".bias"));
  }

  private static void norm(Map<String, TensorValue> out, SafetensorsFile st, String name, String hf, boolean beta) {
    out.put(name + "/gamma", st.floats(hf + ".weight"));
    if (beta) out.put(name + "/beta", st.floats(hf + ".bias"));
  }

  /** Transposes {@code t} so that output axis i is input axis {@code perm[i]}. */
  static TensorValue permute(TensorValue t, int... perm) {
    long[] in = t.shape();
    long[] shape = new long[in.length];
    for (int i = 0; i < perm.length; i++) shape[i] = in[perm[i]];
    long[] inStrides = strides(in);
    long[] outStrides = strides(shape);
    float[] data = new float[t.data().length];
    int[] index = new int[in.length];
    for (int flat = 0; flat < data.length; flat++) {
      long rest = flat;
      long src = 0;
      for (int i = 0; i < shape.length; i++) {
        index[i] = (int) (rest / outStrides[i]);
        rest %= outStrides[i];
        src += index[i] * inStrides[perm[i]];
      }
      data[flat] = t.data()[(int) src];
    }
    return new TensorValue(shape, data);
  }

  private static long[] strides(long[] shape) {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i];
    }
    return s;
  }

}
