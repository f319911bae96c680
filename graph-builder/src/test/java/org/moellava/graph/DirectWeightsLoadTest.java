package org.moellava.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionStyle;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.DirectWeights;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * {@link WeightLoader} reads {@link DirectWeights} (a checkpoint read lazily) once per variable, as native tensors,
 * never through {@code get}: the graph computes what it computes from the same values in a plain map, and a
 * mis-shaped variable is refused before anything is read.
 */
class DirectWeightsLoadTest {
  private final ModelConfig config = TestConfigs.micro(VisionStyle.CLIP);
  private final Map<String, TensorValue> weights = TestData.perturbedWeights(config, 7, 10f);

  @Test
  void loadsEachVariableOnceWithoutTheHeapAndComputesTheSame() {
    TensorValue pixels = TestData.pixels(config, 2, new Random(13));
    TensorValue expected = imageFeatures(weights, pixels);
    DirectOnly direct = new DirectOnly(weights);
    TensorValue got = imageFeatures(direct, pixels);
    assertArrayEquals(expected.data(), got.data(), 0f);
    assertTrue(direct.reads.size() > 5, "variables read: " + direct.reads.size());
    direct.reads.forEach((name, n) -> assertEquals(1, n, name + " read " + n + " times"));
  }

  @Test
  void aMisShapedVariableIsRefusedBeforeAnythingIsRead() {
    Map<String, TensorValue> wrong = new HashMap<>(weights);
    String name = org.moellava.graph.variables.ModelVariableSpecs.vision(config).stream()
        .filter(v -> v.shape().length == 2 && v.shape()[0] != v.shape()[1])
        .map(org.moellava.graph.variables.VariableSpec::name).findFirst().orElseThrow();
    long[] s = wrong.get(name).shape();
    wrong.put(name, new TensorValue(new long[] {s[1], s[0]}, wrong.get(name).data()));
    DirectOnly direct = new DirectOnly(wrong);
    try (VisionGraph g = VisionGraph.build(config); Session session = new Session(g.graph())) {
      InvalidInputException e = assertThrows(InvalidInputException.class,
          () -> WeightLoader.load(session, g.variables(), direct));
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertEquals(Map.of(), direct.reads);
  }

  private TensorValue imageFeatures(Map<String, TensorValue> w, TensorValue pixels) {
    try (VisionGraph g = VisionGraph.build(config); Session session = new Session(g.graph())) {
      WeightLoader.load(session, g.variables(), w);
      try (Tensor in = Tensors.floats(pixels);
           Result r = session.runner().feed(g.pixelValues(), in).fetch(g.imageFeatures()).run()) {
        return Tensors.toValue(r.get(0));
      }
    }
  }

  /** Values only through {@link DirectWeights}; {@code get} fails the test. */
  private static final class DirectOnly extends AbstractMap<String, TensorValue> implements DirectWeights {
    private final Map<String, TensorValue> values;
    final Map<String, Integer> reads = new HashMap<>();

    DirectOnly(Map<String, TensorValue> values) {
      this.values = values;
    }

    @Override public long[] shape(String name) {
      TensorValue v = values.get(name);
      return v == null ? null : v.shape();
    }

    @Override public void withTensor(String name, Consumer<TFloat32> use) {
      reads.merge(name, 1, Integer::sum);
      try (TFloat32 t = Tensors.floats(values.get(name))) {
        use.accept(t);
      }
    }

    @Override public TensorValue get(Object key) {
      throw new AssertionError("read through the heap: " + key);
    }

    @Override public Set<Entry<String, TensorValue>> entrySet() {
      throw new AssertionError("iterated");
    }
  }
}
