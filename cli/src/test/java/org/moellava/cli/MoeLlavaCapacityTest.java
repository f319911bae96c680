package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.eval.forward.ImagePlaceholders;
import org.moellava.graph.TrainingGraph;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.hf.MoeLlavaImporter;
import org.moellava.pkg.GraphNames;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * DeepSpeed's capacity rule, which drops tokens (the fixture's stablelm {@code drop} case: eval_capacity_factor 0.5,
 * N = 60, capacity 15 per expert): the training graph's MoE form with capacity factor 0.5 gives the reference's logits
 * and drops the same number of choices per layer (62 and 74 of 120).
 */
class MoeLlavaCapacityTest {
  private static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"));

  @Test
  void trainingFormDropsWhatDeepSpeedDrops(@TempDir Path dir) throws Exception {
    Path fixture = FIXTURES.resolve("moellava-stablelm");
    assertTrue(Files.isDirectory(fixture), "fixture " + fixture + " not found (tests/fixtures, made by tools/fixtures/moellava/generate.py)");
    ObjectMapper json = new ObjectMapper();
    JsonNode reference = json.readTree(fixture.resolve("reference.json").toFile());
    JsonNode v = reference.get("vision");
    ObjectNode tower = json.createObjectNode().put("model_type", "clip_vision_model");
    for (String k : new String[] {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "image_size", "patch_size"}) {
      tower.put(k, v.get(k).asInt());
    }
    Files.createDirectories(dir.resolve("vision"));
    Files.writeString(dir.resolve("vision/config.json"), json.writeValueAsString(tower));
    Path ckpt = dir.resolve("ckpt");
    new MoeLlavaImporter().importTo(fixture, dir.resolve("vision"), ckpt);
    CheckpointReader reader = CheckpointReader.open(ckpt);
    ModelConfig config = reader.config();
    Map<String, TensorValue> weights = reader.readVariables();

    try (SafetensorsFile ref = SafetensorsFile.open(fixture.resolve("reference.safetensors"))) {
      IntTensorValue ids = ints(ref, "drop.input_ids");
      IntTensorValue mask = ints(ref, "drop.attention_mask");
      ImagePlaceholders.Expanded x = ImagePlaceholders.expand(ids, mask, config.visionConfig().numPatches(),
          config.imageTokenIndex(), config.textConfig().padTokenId());
      int b = (int) x.ids().shape()[0];
      int s = (int) x.ids().shape()[1];
      assertEquals(30, s);
      int[] labels = new int[b * s];
      Arrays.fill(labels, -100);
      TensorValue pixels = ref.readFloat("drop.pixel_values");
      try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
           TFloat32 px = Tensors.floats(pixels); TInt32 idT = Tensors.ints(x.ids().data(), b, s);
           TInt32 maskT = Tensors.ints(x.mask().data(), b, s); TInt32 labelT = Tensors.ints(labels, b, s);
           TFloat64 cf = TFloat64.scalarOf(0.5)) {
        WeightLoader.load(session, g.variables(), weights);
        Session.Runner run = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
            .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf)
            .fetch(g.logits());
        g.droppedTokens().values().forEach(run::fetch);
        try (Result r = run.run()) {
          TensorValue logits = Tensors.toValue(r.get(0));
          TensorDiff diff = TensorDiff.rows(logits, ref.readFloat("drop.logits"), row -> true);
          assertTrue(diff.within(Tolerance.FP32), "logits with drops " + diff);
          int[] dropped = new int[g.droppedTokens().size()];
          for (int i = 0; i < dropped.length; i++) dropped[i] = ((TInt32) r.get(1 + i)).getInt();
          JsonNode expected = reference.get("cases").get("drop").get("dropped_choices");
          assertArrayEquals(new int[] {expected.get("1").asInt(), expected.get("3").asInt()}, dropped);
          System.out.println("stablelm drop case: logits " + diff.maxRel() + ", dropped " + Arrays.toString(dropped));
        }
      }
    }
  }

  private static IntTensorValue ints(SafetensorsFile f, String name) {
    var t = f.readLong(name);
    int[] d = new int[t.data().length];
    for (int i = 0; i < d.length; i++) d[i] = (int) t.data()[i];
    return new IntTensorValue(t.shape().clone(), d);
  }
}
