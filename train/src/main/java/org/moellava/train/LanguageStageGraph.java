package org.moellava.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.data.Batch;
import org.moellava.graph.LossGraph;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.TrainingGraph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Stages I-III: graph-builder's {@link TrainingGraph} (loss {@code ce + alpha * sum aux}, capacity factor 1.5). */
final class LanguageStageGraph implements StageGraph {
  private final TrainingGraph graph;
  private final int topK;

  LanguageStageGraph(ModelConfig config) {
    this.graph = TrainingGraph.build(config);
    this.topK = config.textConfig().numExpertsPerTok();
  }

  @Override
  public LossGraph graph() {
    return graph;
  }

  @Override
  public Map<String, Operand<?>> metricFetches() {
    Map<String, Operand<?>> out = new LinkedHashMap<>();
    out.put("ce", graph.ceLoss());
    out.put("aux", graph.auxLoss());
    graph.layerAuxLosses().forEach((layer, op) -> out.put("aux." + layer, op));
    graph.expertCounts().forEach((layer, op) -> out.put("experts." + layer, op));
    graph.droppedTokens().forEach((layer, op) -> out.put("dropped." + layer, op));
    return out;
  }

  @Override
  public Map<String, Object> stepMetrics(Map<String, double[]> sums, int microBatches, long tokens) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ce", sums.get("ce")[0] / microBatches);
    out.put("aux", sums.get("aux")[0] / microBatches);
    Map<String, Double> auxPerLayer = new LinkedHashMap<>();
    Map<String, long[]> tokensPerExpert = new LinkedHashMap<>();
    Map<String, Double> dropped = new LinkedHashMap<>();
    for (Integer layer : graph.layerAuxLosses().keySet()) {
      auxPerLayer.put(layer.toString(), sums.get("aux." + layer)[0] / microBatches);
      double[] counts = sums.get("experts." + layer);
      long[] asLongs = new long[counts.length];
      for (int e = 0; e < counts.length; e++) asLongs[e] = Math.round(counts[e]);
      tokensPerExpert.put(layer.toString(), asLongs);
      double assignments = (double) tokens * topK;
      dropped.put(layer.toString(), assignments > 0 ? sums.get("dropped." + layer)[0] / assignments : 0.0);
    }
    if (!auxPerLayer.isEmpty()) {
      out.put("aux_per_layer", auxPerLayer);
      out.put("tokens_per_expert", tokensPerExpert);
      out.put("dropped_fraction", dropped);
    }
    return out;
  }

  @Override
  public void feed(Session.Runner runner, StageBatch stageBatch, List<Tensor> owned) {
    Batch b = stageBatch.batch();
    int rows = b.batchSize();
    int seq = b.sequenceLength();
    TFloat32 pixels = TFloat32.tensorOf(Shape.of(rows, 3, b.imageSize(), b.imageSize()),
        DataBuffers.of(b.pixelValues(), true, false));
    owned.add(pixels);
    Tensor ids = Tensors.ints(flatten(b.inputIds(), seq), rows, seq);
    owned.add(ids);
    Tensor mask = Tensors.ints(flatten(b.attentionMask(), seq), rows, seq);
    owned.add(mask);
    Tensor labels = Tensors.ints(flatten(b.labels(), seq), rows, seq);
    owned.add(labels);
    runner.feed(graph.pixelValues(), pixels).feed(graph.inputIds(), ids).feed(graph.attentionMask(), mask)
        .feed(graph.labels(), labels);
  }

  static int[] flatten(int[][] rows, int width) {
    int[] out = new int[rows.length * width];
    for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, out, r * width, width);
    return out;
  }

  @Override
  public void close() {
    graph.close();
  }
}
