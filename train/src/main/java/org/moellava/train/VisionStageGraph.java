package org.moellava.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.data.Batch;
import org.moellava.graph.LossGraph;
import org.moellava.graph.layers.Tensors;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** The vision stage: {@link VisionPretrainGraph}. */
final class VisionStageGraph implements StageGraph {
  private final VisionPretrainGraph graph;

  VisionStageGraph(ModelConfig config) {
    this.graph = VisionPretrainGraph.build(config);
  }

  @Override
  public LossGraph graph() {
    return graph;
  }

  @Override
  public Map<String, Operand<?>> metricFetches() {
    Map<String, Operand<?>> out = new LinkedHashMap<>();
    out.put("shape_accuracy", graph.shapeAccuracy());
    out.put("patch_shape_accuracy", graph.patchShapeAccuracy());
    return out;
  }

  @Override
  public Map<String, Object> stepMetrics(Map<String, double[]> sums, int microBatches, long tokens) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("shape_accuracy", sums.get("shape_accuracy")[0] / microBatches);
    out.put("patch_shape_accuracy", sums.get("patch_shape_accuracy")[0] / microBatches);
    return out;
  }

  @Override
  public void feed(Session.Runner runner, StageBatch stageBatch, List<Tensor> owned) {
    Batch b = stageBatch.batch();
    int rows = b.batchSize();
    int slots = VisionPretrainGraph.SLOTS;
    TFloat32 pixels = TFloat32.tensorOf(Shape.of(rows, 3, b.imageSize(), b.imageSize()),
        DataBuffers.of(b.pixelValues(), true, false));
    owned.add(pixels);
    StageBatch.SlotLabels l = stageBatch.slotLabels();
    Tensor shapes = Tensors.ints(l.shapes(), rows, slots);
    owned.add(shapes);
    Tensor colours = Tensors.ints(l.colours(), rows, slots);
    owned.add(colours);
    Tensor sizes = Tensors.ints(l.sizes(), rows, slots);
    owned.add(sizes);
    int patches = l.patchShapes().length / rows;
    Tensor patchShapes = Tensors.ints(l.patchShapes(), rows, patches);
    owned.add(patchShapes);
    Tensor patchColours = Tensors.ints(l.patchColours(), rows, patches);
    owned.add(patchColours);
    Tensor patchSizes = Tensors.ints(l.patchSizes(), rows, patches);
    owned.add(patchSizes);
    Tensor patchPositions = Tensors.ints(l.patchPositions(), rows, patches);
    owned.add(patchPositions);
    runner.feed(graph.pixelValues(), pixels).feed(graph.shapeLabels(), shapes).feed(graph.colourLabels(), colours)
        .feed(graph.sizeLabels(), sizes).feed(graph.patchShapeLabels(), patchShapes)
        .feed(graph.patchColourLabels(), patchColours).feed(graph.patchSizeLabels(), patchSizes)
        .feed(graph.patchPositionLabels(), patchPositions);
  }

  @Override
  public void close() {
    graph.close();
  }
}
