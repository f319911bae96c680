package org.moellava.export.quant;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.graph.variables.VariableNames;

/**
 * Which variables a quantized package stores blockwise (by the naming contract {@link VariableNames}, which are also
 * the converter's initializer names):
 *
 * <ul>
 *   <li>{@link #dense}: linear kernels {@code [K, N]}: every decoder layer's attention q/k/v/o, the dense FFNs'
 *       gate/up/down, the projector's two linears, {@code lm_head} (unless kept fp32, or tied to the embeddings),
 *       and the vision encoder layers' q/k/v/out and fc1/fc2 except the first and the last layer the vision graph
 *       computes (the feature layer);
 *   <li>{@link #experts}: the stacked expert matrices {@code [E, K, N]} of the MoE layers.
 * </ul>
 *
 * Routers, norms, embeddings (unless {@code --quantize-embeddings}: {@link GatherBlockQuantizedRewriter}, outside these
 * targets), biases, the patch convolution and the first and last vision layers stay fp32, so the
 * router's logits, softmax and top-k are computed in fp32 from fp32 weights.
 */
public record QuantTargets(Set<String> dense, Set<String> experts) {

  public QuantTargets {
    dense = Set.copyOf(dense);
    experts = Set.copyOf(experts);
  }

  /** The targets of {@code config}; {@code keepLmHeadFp32} leaves {@code lm_head} out. */
  public static QuantTargets of(ModelConfig config, boolean keepLmHeadFp32) {
    TextConfig t = config.textConfig();
    Set<String> dense = new LinkedHashSet<>();
    Set<String> experts = new LinkedHashSet<>();
    List<Integer> moe = PackageGraphs.moeLayers(config);
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      String attn = VariableNames.decoderLayer(i) + "/self_attn/";
      for (String p : List.of("q_proj", "k_proj", "v_proj", "o_proj")) dense.add(attn + p + "/kernel");
      if (moe.contains(i)) {
        experts.add(VariableNames.expertsGate(i));
        experts.add(VariableNames.expertsUp(i));
        experts.add(VariableNames.expertsDown(i));
      } else {
        dense.add(VariableNames.denseGate(i));
        dense.add(VariableNames.denseUp(i));
        dense.add(VariableNames.denseDown(i));
      }
    }
    dense.add(VariableNames.PROJECTOR_LINEAR_1 + "/kernel");
    dense.add(VariableNames.PROJECTOR_LINEAR_2 + "/kernel");
    if (!keepLmHeadFp32 && !t.tieWordEmbeddings()) dense.add(VariableNames.LM_HEAD_KERNEL);
    int used = config.visionLayersUsed();
    for (int i = 1; i < used - 1; i++) {
      String layer = VariableNames.visionLayer(i);
      for (String p : List.of("/self_attn/q_proj", "/self_attn/k_proj", "/self_attn/v_proj", "/self_attn/out_proj",
          "/mlp/fc1", "/mlp/fc2")) {
        dense.add(layer + p + "/kernel");
      }
    }
    return new QuantTargets(dense, experts);
  }

  /** With one more dense target (an initializer name, e.g. the tied lm_head's transposed table). */
  public QuantTargets withDense(String name) {
    Set<String> d = new LinkedHashSet<>(dense);
    d.add(name);
    return new QuantTargets(d, experts);
  }

  /** Without the experts (the fused MoE form quantizes them inside its own op). */
  public QuantTargets withoutExperts() {
    return new QuantTargets(dense, Set.of());
  }
}
