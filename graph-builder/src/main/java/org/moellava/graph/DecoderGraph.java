package org.moellava.graph;

import org.moellava.graph.layers.Attention;
import org.moellava.graph.layers.DecoderStack;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;

import org.moellava.pkg.GraphNames;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Inference graph {@code decoder} with KV cache; one graph serves prefill (past length 0) and decode.
 * Inputs: {@code inputs_embeds [B,S,D]}, {@code attention_mask [B,past+S]} int32, {@code position_ids [B,S]} int32,
 * {@code past_key_values.{i}.key|value [B,Hkv,past,hd]}. Outputs: {@code logits [B,S,V]},
 * {@code present.{i}.key|value [B,Hkv,past+S,hd]}, {@code router_logits.{j} [B*S,E]} per MoE layer j.
 * The MoE layers use the inference form (no capacity) with sparse dispatch.
 */
public final class DecoderGraph extends ModelGraph {
  private final Placeholder<TFloat32> inputsEmbeds;
  private final Placeholder<TInt32> attentionMask;
  private final Placeholder<TInt32> positionIds;
  private final List<Placeholder<TFloat32>> pastKeys = new ArrayList<>();
  private final List<Placeholder<TFloat32>> pastValues = new ArrayList<>();
  private final Operand<TFloat32> logits;
  private final List<Operand<TFloat32>> presentKeys = new ArrayList<>();
  private final List<Operand<TFloat32>> presentValues = new ArrayList<>();
  private final Map<Integer, Operand<TFloat32>> routerLogits = new LinkedHashMap<>();

  private DecoderGraph(ModelConfig config, MoeOptions.Dispatch dispatch) {
    super(config, specs(config));
    TextConfig t = config.textConfig();
    inputsEmbeds = tf.withName(GraphNames.INPUTS_EMBEDS).placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, -1, t.hiddenSize())));
    attentionMask = tf.withName(GraphNames.ATTENTION_MASK).placeholder(TInt32.class,
        Placeholder.shape(Shape.of(-1, -1)));
    positionIds = tf.withName(GraphNames.POSITION_IDS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
    List<Attention.KeyValue> pasts = new ArrayList<>();
    Shape cacheShape = Shape.of(-1, t.numKeyValueHeads(), -1, t.headDim());
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      Placeholder<TFloat32> k = tf.withName(GraphNames.pastKey(i)).placeholder(TFloat32.class,
          Placeholder.shape(cacheShape));
      Placeholder<TFloat32> v = tf.withName(GraphNames.pastValue(i)).placeholder(TFloat32.class,
          Placeholder.shape(cacheShape));
      pastKeys.add(k);
      pastValues.add(v);
      pasts.add(new Attention.KeyValue(k, v));
    }
    DecoderStack.Output out = DecoderStack.forward(tf, variables, t, inputsEmbeds, attentionMask, positionIds, pasts,
        MoeOptions.inference().withDispatch(dispatch));
    logits = tf.withName(GraphNames.LOGITS).identity(out.logits());
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      presentKeys.add(tf.withName(GraphNames.presentKey(i)).identity(out.presents().get(i).key()));
      presentValues.add(tf.withName(GraphNames.presentValue(i)).identity(out.presents().get(i).value()));
    }
    out.routings().forEach((layer, routing) ->
        routerLogits.put(layer, tf.withName(GraphNames.routerLogits(layer)).identity(routing.logits())));
  }

  private static List<VariableSpec> specs(ModelConfig config) {
    List<VariableSpec> specs = new ArrayList<>(ModelVariableSpecs.decoder(config));
    if (config.textConfig().tieWordEmbeddings()) specs.addAll(ModelVariableSpecs.embeddings(config));
    return specs;
  }

  /** Builds the graph with sparse expert dispatch. */
  public static DecoderGraph build(ModelConfig config) {
    return new DecoderGraph(config, MoeOptions.Dispatch.SPARSE);
  }

  /** Builds the graph with the given dispatch ({@link MoeOptions.Dispatch#DENSE_MASKED} only for benchmarks). */
  public static DecoderGraph build(ModelConfig config, MoeOptions.Dispatch dispatch) {
    return new DecoderGraph(config, dispatch);
  }

  public Placeholder<TFloat32> inputsEmbeds() {
    return inputsEmbeds;
  }

  public Placeholder<TInt32> attentionMask() {
    return attentionMask;
  }

  public Placeholder<TInt32> positionIds() {
    return positionIds;
  }

  public List<Placeholder<TFloat32>> pastKeys() {
    return pastKeys;
  }

  public List<Placeholder<TFloat32>> pastValues() {
    return pastValues;
  }

  public Operand<TFloat32> logits() {
    return logits;
  }

  public List<Operand<TFloat32>> presentKeys() {
    return presentKeys;
  }

  public List<Operand<TFloat32>> presentValues() {
    return presentValues;
  }

  /** Router logits per MoE layer (decoder layer index, ascending). */
  public Map<Integer, Operand<TFloat32>> routerLogits() {
    return routerLogits;
  }
}
