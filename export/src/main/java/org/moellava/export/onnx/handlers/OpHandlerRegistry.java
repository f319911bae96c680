package org.moellava.export.onnx.handlers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * TF op type to {@link OpHandler}s, selected by target opset. A later registration for an overlapping opset
 * range wins, so callers can override a built-in handler or add handlers for op types their own rewriters
 * produce (e.g. a fused MoE pattern).
 */
public final class OpHandlerRegistry {
  /** Lowest target opset the built-in handlers support. */
  public static final int MIN_OPSET = 17;
  /** Highest target opset the built-in handlers support. */
  public static final int MAX_OPSET = 20;

  private final Map<String, List<OpHandler>> handlers = new HashMap<>();

  /** An empty registry. */
  public OpHandlerRegistry() {}

  /** A registry with every built-in handler. */
  public static OpHandlerRegistry defaults() {
    OpHandlerRegistry r = new OpHandlerRegistry();
    ElementwiseHandlers.register(r);
    ReduceHandlers.register(r);
    ShapeHandlers.register(r);
    SliceHandlers.register(r);
    IndexHandlers.register(r);
    NnHandlers.register(r);
    return r;
  }

  /** Registers {@code handler}. */
  public OpHandlerRegistry register(OpHandler handler) {
    handlers.computeIfAbsent(handler.tfOp(), k -> new ArrayList<>()).add(handler);
    return this;
  }

  /** Registers {@code converter} for {@code tfOp} over opsets {@code since..until}. */
  public OpHandlerRegistry register(String tfOp, int since, int until, OpConverter converter) {
    return register(new OpHandler(tfOp, since, until, converter));
  }

  /** Registers {@code converter} for {@code tfOp} over all supported opsets. */
  public OpHandlerRegistry register(String tfOp, OpConverter converter) {
    return register(tfOp, MIN_OPSET, MAX_OPSET, converter);
  }

  /** The handler for {@code tfOp} at {@code opset}: the latest registered one whose range contains it. */
  public Optional<OpHandler> lookup(String tfOp, int opset) {
    List<OpHandler> list = handlers.getOrDefault(tfOp, List.of());
    for (int i = list.size() - 1; i >= 0; i--) {
      if (list.get(i).supports(opset)) return Optional.of(list.get(i));
    }
    return Optional.empty();
  }

  /** Every TF op type with at least one handler at {@code opset}, sorted. */
  public Set<String> supportedOps(int opset) {
    Set<String> ops = new TreeSet<>();
    handlers.forEach((op, list) -> {
      if (list.stream().anyMatch(h -> h.supports(opset))) ops.add(op);
    });
    return ops;
  }
}
