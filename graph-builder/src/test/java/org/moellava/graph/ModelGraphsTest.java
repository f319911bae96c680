package org.moellava.graph;

import org.moellava.graph.variables.Upcycler;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.error.ConfigException;

/**
 * Whole-model graph preconditions. The inference graphs run through runtime's TensorFlow backend; their tests (KV
 * cache, upcycled logits, training vs inference form, input checks) are in runtime's {@code TfBackendTest}.
 */
class ModelGraphsTest {
  @Test
  void upcyclingNeedsEqualFfnWidths() {
    ModelConfig wider = TestConfigs.micro(4, 2, 32);
    Map<String, TensorValue> denseWeights = TestData.weights(TestConfigs.dense(wider), 1, 1f);
    ConfigException e = assertThrows(ConfigException.class, () -> Upcycler.upcycle(wider, denseWeights, 1));
    assertTrue(e.getMessage().contains("moe_intermediate_size"), e.getMessage());
  }
}
