package org.moellava.graph;

import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightLoader;

import org.moellava.pkg.GraphNames;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/** Analytic gradients (graph.addGradients) of the training loss against central finite differences. */
class GradientCheckTest {

  @Test
  void routerExpertAttentionAndProjectorGradientsMatchFiniteDifferences() {
    ModelConfig config = TestConfigs.micro();
    check(config, TestData.weights(config, 4, 10f), List.of(VariableNames.routerKernel(0),
        VariableNames.expertsGate(2), VariableNames.expertsDown(0),
        VariableNames.decoderLayer(1) + "/self_attn/q_proj/kernel",
        VariableNames.decoderLayer(0) + "/self_attn/v_proj/bias", VariableNames.PROJECTOR_LINEAR_1 + "/kernel",
        VariableNames.PROJECTOR_LINEAR_2 + "/bias", VariableNames.EMBED_TOKENS, VariableNames.LM_HEAD_KERNEL,
        VariableNames.visionLayer(0) + "/mlp/fc1/kernel"));
  }

  /** Phi-2's layer: parallel residual, LayerNorm with bias, dense bias, fc1/fc2 experts with biases, lm_head bias. */
  @Test
  void phiParallelLayerFcExpertsAndBiasesGradientsMatchFiniteDifferences() {
    ModelConfig config = TestConfigs.micro(org.moellava.config.DecoderStyle.PHI);
    check(config, TestData.perturbedWeights(config, 4, 10f), List.of(VariableNames.routerKernel(2),
        VariableNames.expertsFc1(0), VariableNames.expertsFc1Bias(2), VariableNames.expertsFc2Bias(0),
        VariableNames.denseFc1(1) + "/bias", VariableNames.denseFc2(1) + "/kernel",
        VariableNames.decoderLayer(1) + "/input_layernorm/beta", VariableNames.decoderLayer(0) + "/self_attn/o_proj/bias",
        VariableNames.decoderLayer(2) + "/self_attn/k_proj/kernel", VariableNames.FINAL_NORM + "/gamma",
        VariableNames.LM_HEAD_BIAS));
  }

  private static void check(ModelConfig config, Map<String, TensorValue> weights, List<String> checked) {
    Random random = new Random(2);
    int b = 2, s = 9;
    int[] ids = TestData.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    mask[2 * s - 1] = 0;
    int[] labels = new int[b * s];
    for (int i = 0; i < labels.length; i++) labels[i] = i % s < 5 || mask[i] == 0 ? -100 : ids[i];
    TensorValue pixels = TestData.pixels(config, b, random);

    try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
         TFloat32 px = Tensors.floats(pixels); TInt32 idT = Tensors.ints(ids, b, s);
         TInt32 maskT = Tensors.ints(mask, b, s); TInt32 labelT = Tensors.ints(labels, b, s);
         TFloat64 cf = TFloat64.scalarOf(1.5)) {
      List<ModelVariables.Entry> vars = new ArrayList<>();
      for (ModelVariables.Entry e : g.trainableVariables(EnumSet.allOf(VariableGroup.class))) {
        if (checked.contains(e.spec().name())) vars.add(e);
      }
      assertEquals(checked.size(), vars.size());
      Output<?>[] grads = g.addGradients(vars);
      WeightLoader.load(session, g.variables(), weights);
      LossFn loss = () -> {
        try (Result r = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
            .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf)
            .fetch(g.loss()).run()) {
          return ((TFloat32) r.get(0)).getFloat();
        }
      };
      List<TensorValue> analytic = new ArrayList<>();
      Session.Runner run = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
          .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf);
      for (Output<?> grad : grads) run.fetch(grad);
      try (Result r = run.run()) {
        for (int i = 0; i < grads.length; i++) analytic.add(Tensors.toValue(r.get(i)));
      }
      double base = loss.value();
      assertTrue(Double.isFinite(base) && base > 0, "loss " + base);
      for (int v = 0; v < vars.size(); v++) {
        ModelVariables.Entry entry = vars.get(v);
        float[] grad = analytic.get(v).data();
        Integer[] order = new Integer[grad.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(grad[i])));
        TensorValue original = weights.get(entry.spec().name());
        for (int rank = 0; rank < 3; rank++) {
          int i = order[rank];
          double eps = 1e-3;
          double plus = lossWith(session, entry, original, i, eps, loss);
          double minus = lossWith(session, entry, original, i, -eps, loss);
          double numeric = (plus - minus) / (2 * eps);
          double tol = 0.03 * Math.abs(numeric) + 2e-4;
          assertTrue(Math.abs(numeric - grad[i]) <= tol, entry.spec().name() + "[" + i + "]: analytic " + grad[i]
              + " vs finite difference " + numeric);
          assertTrue(Math.abs(grad[i]) > 1e-4, entry.spec().name() + ": gradient too small to check: " + grad[i]);
        }
        assign(session, entry, original);
      }
    }
  }

  private interface LossFn {
    double value();
  }

  private static double lossWith(Session session, ModelVariables.Entry entry, TensorValue original, int index,
      double delta, LossFn loss) {
    float[] d = original.data().clone();
    d[index] += (float) delta;
    assign(session, entry, new TensorValue(original.shape(), d));
    return loss.value();
  }

  private static void assign(Session session, ModelVariables.Entry entry, TensorValue value) {
    try (TFloat32 t = Tensors.floats(value)) {
      session.runner().feed(entry.loadValue(), t).addTarget(entry.loadOp()).run().close();
    }
  }
}
