package org.moellava.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

/** Routing counts on hand-made router logits (MoE layers 0 and 2, E=4, k=2), against hand-computed values. */
class RoutingStatisticsTest {
  private static final float[][] LAYER0 = {
      {3, 1, 2, 0}, // top-2 {0,2}, image
      {0, 5, 5, 1}, // tie -> {1,2}, text
      {1, 1, 1, 1}, // all tied -> {0,1}, image
      {0, 0, 9, 8}, // {2,3}, image
      {9, 9, 9, 9}, // padding: not counted
      {2, 4, 0, 3}}; // {1,3}, text
  private static final float[][] LAYER2 = {
      {0, 0, 0, 1}, // {3,0}
      {1, 0, 0, 0}, // {0,1}
      {0, 2, 1, 0}, // {1,2}
      {0, 0, 0, 1}, // {3,0}
      {0, 0, 0, 9},
      {5, 0, 0, 0}}; // {0,1}
  private static final boolean[] INCLUDE = {true, true, true, true, false, true};
  private static final boolean[] IMAGE = {true, false, true, true, true, false};

  private static TensorValue logits(float[][] rows, int from, int to) {
    float[] d = new float[(to - from) * 4];
    for (int r = from; r < to; r++) System.arraycopy(rows[r], 0, d, (r - from) * 4, 4);
    return new TensorValue(new long[] {to - from, 4}, d);
  }

  /** The same tokens added in two passes (rows 0-2, then 3-5). */
  static RoutingStatistics stats() {
    RoutingStatistics s = new RoutingStatistics(List.of(0, 2), 4, 2);
    s.add(Map.of(0, logits(LAYER0, 0, 3), 2, logits(LAYER2, 0, 3)), slice(INCLUDE, 0, 3), slice(IMAGE, 0, 3));
    s.add(Map.of(0, logits(LAYER0, 3, 6), 2, logits(LAYER2, 3, 6)), slice(INCLUDE, 3, 6), slice(IMAGE, 3, 6));
    return s;
  }

  private static boolean[] slice(boolean[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  @Test
  void topKBreaksTiesTowardsTheLowerIndex() {
    assertArrayEquals(new int[] {1, 2}, TopK.indices(new float[] {0, 5, 5, 1}, 0, 4, 2));
    assertArrayEquals(new int[] {0, 1, 2}, TopK.indices(new float[] {7, 7, 7, 7}, 0, 4, 3));
    assertArrayEquals(new int[] {3, 0}, TopK.indices(new float[] {9, 0, 0, 0, 1}, 1, 4, 2));
  }

  @Test
  void loadSharesAndModalitySplit() {
    RoutingStatistics s = stats();
    assertEquals(5, s.totalTokens());
    assertEquals(3, s.tokens(true));
    assertEquals(2, s.tokens(false));
    double[] share0 = {0.2, 0.3, 0.3, 0.2};
    double[] share2 = {0.4, 0.3, 0.1, 0.2};
    double[] image0 = {1.0, 1.0 / 3, 2.0 / 3, 0.5};
    double[] image2 = {0.5, 1.0 / 3, 1.0, 1.0};
    long[] top1Layer0 = {2, 2, 1, 0};
    for (int e = 0; e < 4; e++) {
      assertEquals(share0[e], s.loadShare(0, e), 1e-12, "layer 0 expert " + e);
      assertEquals(share2[e], s.loadShare(1, e), 1e-12, "layer 2 expert " + e);
      assertEquals(image0[e], s.imageFraction(0, e), 1e-12, "layer 0 expert " + e);
      assertEquals(image2[e], s.imageFraction(1, e), 1e-12, "layer 2 expert " + e);
      assertEquals(top1Layer0[e], s.top1(0, e), "layer 0 expert " + e);
    }
    assertEquals(2, s.assignments(1, 0, false));
    assertEquals(2, s.assignments(1, 0, true));
  }

  @Test
  void topPathwaysWithFrequencies() {
    RoutingStatistics s = stats();
    assertEquals(4, s.distinctPathways());
    List<Pathway> all = s.topPathways(10, null);
    assertEquals(List.of("1-0", "0-1", "0-3", "2-3"), all.stream().map(Pathway::label).toList());
    assertEquals(List.of(2L, 1L, 1L, 1L), all.stream().map(Pathway::tokens).toList());
    assertEquals(0.4, all.get(0).share(), 1e-12);
    assertEquals(0.2, all.get(3).share(), 1e-12);
    List<Pathway> text = s.topPathways(10, false);
    assertEquals(1, text.size());
    assertEquals(List.of(1, 0), text.get(0).experts());
    assertEquals(1.0, text.get(0).share(), 1e-12);
    List<Pathway> image = s.topPathways(2, true);
    assertEquals(List.of("0-1", "0-3"), image.stream().map(Pathway::label).toList());
    assertEquals(1.0 / 3, image.get(0).share(), 1e-12);
  }

  @Test
  void reportAndFiguresAreWrittenAtomically(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("routing");
    RoutingOutput.write(out, stats(), "m", "d");
    JsonNode json = new ObjectMapper().readTree(out.resolve(RoutingOutput.JSON_FILE).toFile());
    assertEquals(5, json.get("tokens").get("total").asInt());
    assertEquals(0.3, json.get("layers").get(0).get("experts").get(1).get("load_share").asDouble(), 1e-12);
    assertEquals(2, json.get("layers").get(1).get("layer").asInt());
    assertEquals("[1,0]", json.get("pathways").get("all").get(0).get("experts").toString());
    for (String png : List.of(RoutingPlots.EXPERT_LOADING, RoutingPlots.MODALITY, RoutingPlots.PATHWAYS)) {
      byte[] bytes = Files.readAllBytes(out.resolve(png));
      assertTrue(bytes.length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', png);
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList(), "no staging directory left behind");
    }
    assertThrows(InvalidInputException.class, () -> RoutingOutput.write(out, stats(), "m", "d"));
  }

  @Test
  void mismatchedLogitsAreRejected() {
    RoutingStatistics s = new RoutingStatistics(List.of(0, 2), 4, 2);
    assertThrows(IllegalArgumentException.class,
        () -> s.add(Map.of(0, logits(LAYER0, 0, 3)), slice(INCLUDE, 0, 3), slice(IMAGE, 0, 3)));
  }
}
