package org.moellava.export.pkg;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import org.moellava.graph.variables.VariableNames;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.export.moe.FusedMoeHandler;
import org.moellava.export.moe.FusedMoeRewriter;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.export.onnx.io.InitializerSpill;
import org.moellava.export.onnx.TfToOnnxConverter;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.precision.Fp16Converter;
import org.moellava.export.quant.GatherBlockQuantizedRewriter;
import org.moellava.export.quant.MatMulNBitsRewriter;
import org.moellava.export.quant.QMoeRewriter;
import org.moellava.export.quant.QdqRewriter;
import org.moellava.export.quant.QuantFormat;
import org.moellava.export.quant.QuantTargets;
import org.moellava.export.quant.TiedLmHead;
import org.moellava.error.InvalidInputException;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.graph.DecoderGraph;
import org.moellava.graph.EmbedGraph;
import org.moellava.graph.ModelGraph;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.VisionGraph;

/**
 * Builds the three inference graphs of a model and converts each to the ONNX model of the package: weights
 * frozen into initializers, int64 integer inputs, the chosen MoE form and precision, and with {@code --quantize} the
 * dense linears as {@code com.microsoft.MatMulNBits} and the experts blockwise quantized ({@link QuantTargets}), or
 * with {@code --quant-format qdq} both as per-channel int8 {@code DequantizeLinear -> MatMul} ({@link QdqRewriter}).
 */
public final class PackageConverter {
  private final ModelConfig config;
  private final ExportOptions options;
  private final Map<String, String> quantized = new java.util.TreeMap<>();

  public PackageConverter(ModelConfig config, ExportOptions options) {
    this.config = config;
    this.options = options;
  }

  /** Graph name ({@code vision}, {@code embed}, {@code decoder}) to ONNX model, in that order. */
  public Map<String, ModelProto> convert(Map<String, TensorValue> weights) {
    Map<String, ModelProto> out = new LinkedHashMap<>();
    convert(weights, out::put);
    return out;
  }

  /**
   * Converts the three graphs one at a time, handing each to {@code sink} as soon as it is converted (so that a caller
   * writing it to disk and dropping it holds one graph's weights at a time, not the whole model's).
   */
  public void convert(Map<String, TensorValue> weights, java.util.function.BiConsumer<String, ModelProto> sink) {
    convert(weights, name -> null, (name, model, spill) -> sink.accept(name, model));
  }

  /** Receives each converted graph with the spill file its large initializers were streamed into (or null). */
  @FunctionalInterface
  public interface GraphSink {
    /** {@code model} of graph {@code name}; its large initializers are views of {@code spill} when not null. */
    void accept(String name, ModelProto model, InitializerSpill spill);
  }

  /**
   * Converts the three graphs one at a time like {@link #convert(Map, java.util.function.BiConsumer)}, streaming
   * each graph's large initializers into the file {@code spills} gives for its name (null: on the heap) as they are
   * converted, narrowed to fp16 or quantized: the heap then never holds a graph's weights.
   */
  public void convert(Map<String, TensorValue> weights, java.util.function.Function<String, InitializerSpill> spills,
      GraphSink sink) {
    InitializerSpill s = spills.apply(PackageGraphs.VISION);
    sink.accept(PackageGraphs.VISION, convert(VisionGraph.build(config),
        PackageGraphs.vision(config, weights, options.opset()), s, null), s);
    s = spills.apply(PackageGraphs.EMBED);
    sink.accept(PackageGraphs.EMBED, convert(EmbedGraph.build(config),
        PackageGraphs.embed(config, weights, options.opset()), s, null), s);
    s = spills.apply(PackageGraphs.DECODER);
    sink.accept(PackageGraphs.DECODER, convert(DecoderGraph.build(config),
        PackageGraphs.decoder(config, weights, options.opset()), s,
        quantizesTiedLmHead() ? weights.get(VariableNames.EMBED_TOKENS) : null), s);
    if (options.quantize() != null) {
      Set<String> missing = new java.util.TreeSet<>(targets().dense());
      if (options.quantize().quantizeEmbeddings()) missing.add(VariableNames.EMBED_TOKENS);
      missing.addAll(targets().experts());
      if (options.moeMode() == MoeMode.ORT_FUSED) {
        for (int layer : PackageGraphs.moeLayers(config)) {
          missing.addAll(List.of(VariableNames.expertsGate(layer), VariableNames.expertsUp(layer),
              VariableNames.expertsDown(layer)));
        }
      }
      missing.removeAll(quantized.keySet());
      if (!missing.isEmpty()) {
        throw new InvalidInputException("--quantize: no MatMul of the converted graphs reads " + missing
            + " as its weight; cannot quantize (nothing was written)");
      }
    }
  }

  /** After {@link #convert}: each quantized variable to its scheme id ({@code int4-b32-sym}); empty without. */
  public Map<String, String> quantizedTensors() {
    return Map.copyOf(quantized);
  }

  private QuantTargets targets() {
    QuantTargets t = QuantTargets.of(config, options.quantize().keepLmHeadFp32());
    return options.moeMode() == MoeMode.ORT_FUSED ? t.withoutExperts() : t;
  }

  /** {@code --quantize-embeddings} with tied embeddings and lm_head not kept fp32: the decoder's E^T product too. */
  private boolean quantizesTiedLmHead() {
    return options.quantize() != null && options.quantize().quantizeEmbeddings()
        && config.textConfig().tieWordEmbeddings() && !options.quantize().keepLmHeadFp32();
  }

  /**
   * One graph to ONNX, its large initializers streamed into {@code spill} (null: on the heap); {@code tiedTable}
   * (the embedding table, only for the decoder of a tied model quantized with {@code --quantize-embeddings}) adds the lm_head's transposed copy of it to the dense targets, recorded under the
   * embedding variable.
   */
  private ModelProto convert(ModelGraph graph, ExportSpec spec, InitializerSpill spill, TensorValue tiedTable) {
    ModelProto model;
    try (graph) {
      model = converter().convert(graph.graph().toGraphDef(), spec, spill);
    }
    model = OnnxBoundary.int64Inputs(model, PackageGraphs.int64Inputs(spec.graphName()));
    if (options.precision() == Precision.FP16) {
      Set<String> routers = new HashSet<>();
      for (int layer : PackageGraphs.moeLayers(config)) routers.add(VariableNames.routerKernel(layer));
      model = Fp16Converter.convert(model, routers, spill);
    }
    if (options.quantize() != null) {
      QuantTargets targets = targets();
      String tied = null;
      if (tiedTable != null) {
        int v = config.textConfig().vocabSize();
        int d = config.textConfig().hiddenSize();
        tied = TiedLmHead.find(model, tiedTable.data(), v, d);
        targets = targets.withDense(tied);
      }
      MatMulNBitsRewriter.Result r = options.quantize().format() == QuantFormat.QDQ
          ? QdqRewriter.rewrite(model, targets, spill)
          : MatMulNBitsRewriter.rewrite(model, targets, options.quantize().scheme());
      model = r.model();
      for (Map.Entry<String, String> e : r.tensors().entrySet()) {
        quantized.put(e.getKey().equals(tied) ? VariableNames.EMBED_TOKENS : e.getKey(), e.getValue());
      }
      if (options.moeMode() == MoeMode.ORT_FUSED) {
        r = QMoeRewriter.rewrite(model, options.quantize().scheme());
        model = r.model();
        quantized.putAll(r.tensors());
      }
      if (options.quantize().quantizeEmbeddings()) {
        r = GatherBlockQuantizedRewriter.rewrite(model, VariableNames.EMBED_TOKENS, options.quantize().scheme());
        model = r.model();
        quantized.putAll(r.tensors());
      }
    }
    return OnnxBoundary.importCustomDomains(model);
  }

  private TfToOnnxConverter converter() {
    if (options.moeMode() == MoeMode.STANDARD) {
      return new TfToOnnxConverter(OpHandlerRegistry.defaults(), List.of(),
          TfToOnnxConverter.standardOptimizers(options.foldShapes()));
    }
    OpHandlerRegistry registry = FusedMoeHandler.register(OpHandlerRegistry.defaults());
    return new TfToOnnxConverter(registry,
        List.of(new FusedMoeRewriter(PackageGraphs.moeLayers(config), config.textConfig().numExpertsPerTok())),
        TfToOnnxConverter.standardOptimizers(options.foldShapes()));
  }
}
