package org.moellava.export.onnx.optimize;

import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;

/**
 * Cuts the shape plumbing a TF-to-ONNX conversion leaves around dynamic (batch, sequence) dims, using symbolic
 * shapes ({@link ShapeFacts}): folds statically known shape values ({@link ShapeValueFolder}), does int32 shape
 * arithmetic in int64 ({@link ShapeMathWidener}), drops no-op Casts ({@link CastEliminator}), folds dense layers'
 * flatten/unflatten ({@link LinearReshapeFolder}), gives Reshapes constant targets ({@link ReshapeSimplifier}), drops
 * negative-index guards on indices known to be non-negative ({@link NonNegativeSelectFolder}) and removes what no longer feeds anything, repeated until the
 * graph stops shrinking. Every rewrite keeps the graph's outputs unchanged for every input it accepts.
 */
public final class ShapePlumbingFolder implements OnnxOptimizer {
  private static final int MAX_ROUNDS = 10;
  private final List<OnnxOptimizer> passes = List.of(new ShapeValueFolder(), new ShapeMathWidener(),
      new CastEliminator(), new LinearReshapeFolder(), new ReshapeSimplifier(), new NonNegativeSelectFolder(),
      new DeadNodeEliminator());

  @Override
  public GraphProto optimize(GraphProto g) {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      int nodes = g.getNodeCount();
      int inits = g.getInitializerCount();
      for (OnnxOptimizer p : passes) g = p.optimize(g);
      if (g.getNodeCount() == nodes && g.getInitializerCount() == inits) break;
    }
    return g;
  }
}
