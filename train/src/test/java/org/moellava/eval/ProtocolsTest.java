package org.moellava.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.image.RgbImage;

class ProtocolsTest {
  private final SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(6).withSplits(10, 10, 40));
  private final SyntheticBenchmark bench = new SyntheticBenchmark(world, Split.TEST);

  @Test
  void oracleScoresPerfectlyAndAlwaysYesHasKnownPopeMetrics() throws Exception {
    List<VqaQuestion> vqa = bench.vqaQuestions();
    Map<String, String> key = new HashMap<>();
    Map<RgbImage, String> imageIds = new HashMap<>();
    for (VqaQuestion q : vqa) {
      key.put(q.imageId() + "|" + q.question(), q.answer());
      imageIds.put(bench.image(q.imageId()), q.imageId());
    }
    Answerer oracle = (image, question) -> key.get(imageIds.get(image) + "|" + question).toUpperCase() + ".";
    VqaResult vqaResult = Protocols.vqa(oracle, vqa, bench::image);
    assertEquals(vqa.size(), vqaResult.overall().correct());
    assertTrue(vqaResult.perType().size() >= 5, vqaResult.perType().toString());

    List<AnnotatedImage> images = bench.annotatedImages();
    PopeSampler sampler = new PopeSampler(ObjectStatistics.of(images, SyntheticBenchmark.categories()), 3, 1,
        SyntheticBenchmark.POPE_FORMAT);
    Map<PopeSplit, List<PopeQuestion>> pope = Protocols.popeQuestions(sampler, images);
    Map<String, Set<String>> objects = new HashMap<>();
    images.forEach(i -> objects.put(i.imageId(), i.objects()));
    Answerer popeOracle = (image, question) -> {
      String shape = question.substring("is there a ".length(), question.length() - 1);
      return objects.get(imageIds.get(image)).contains(shape) ? "Yes, there is." : "No, there is not.";
    };
    Map<PopeSplit, BinaryMetrics> perfect = Protocols.pope(popeOracle, pope, bench::image);
    Map<PopeSplit, BinaryMetrics> alwaysYes = Protocols.pope((image, q) -> "yes", pope, bench::image);
    for (PopeSplit split : PopeSplit.values()) {
      assertEquals(1.0, perfect.get(split).accuracy(), 1e-12);
      BinaryMetrics m = alwaysYes.get(split);
      assertEquals(1.0, m.recall(), 1e-12);
      assertEquals(0.5, m.precision(), 1e-12); // balanced positives and negatives
      assertEquals(1.0, m.yesRatio(), 1e-12);
    }

    List<java.util.Set<String>> present = new ArrayList<>();
    List<String> captions = new ArrayList<>();
    for (int i = 0; i < world.size(Split.TEST); i++) {
      present.add(images.get(i).objects());
      captions.add(world.sample(Split.TEST, i).caption());
    }
    CaptionResult cap = CaptionResult.score(present, captions, SyntheticBenchmark.captionParser());
    assertEquals(1.0, cap.precision(), 1e-12); // reference captions mention exactly the present shapes
    assertEquals(1.0, cap.recall(), 1e-12);
    assertEquals(0.0, cap.chairInstance(), 1e-12);

    EvalReport report = new EvalReport("oracle", vqaResult, alwaysYes, cap);
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    assertEquals(1.0, json.path("vqa").path("accuracy").asDouble(), 1e-12);
    assertEquals(0.5, json.path("pope").path("adversarial").path("precision").asDouble(), 1e-12);
    assertEquals(0.0, json.path("captions").path("chair_i").asDouble(), 1e-12);
    String md = report.toMarkdown();
    assertTrue(md.contains("| adversarial | 50.0 | 50.0 | 100.0 | 66.7 | 100.0 |"), md);
    assertTrue(md.contains("| **all** | 100.0 |"), md);
  }
}
