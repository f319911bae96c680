package org.moellava.eval.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.TensorValue;

/** Batched greedy decoding (left padding, mask, positions, KV cache) against one sequence at a time. */
class GreedyDecoderTest {
  private static ModelConfig config;
  private static TfBackend backend;
  private static GreedyDecoder decoder;

  @BeforeAll
  static void setUp() {
    config = TinyModels.config();
    backend = new TfBackend(config, TinyModels.weights(config, 7, 10f), "tiny");
    decoder = new GreedyDecoder(backend);
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  /** Prompts of different lengths; rows 0 and 2 carry an image block (P image tokens after 2 text tokens). */
  private static List<int[]> prompts() {
    Random random = new Random(3);
    int p = config.visionConfig().numPatches();
    int[] lengths = {9, 5, 13, 7};
    List<int[]> out = new ArrayList<>();
    for (int row = 0; row < lengths.length; row++) {
      int[] ids = new int[lengths[row]];
      for (int t = 0; t < ids.length; t++) ids[t] = 4 + random.nextInt(config.textConfig().vocabSize() - 4);
      if (row % 2 == 0) Arrays.fill(ids, 2, 2 + p, config.imageTokenIndex());
      out.add(ids);
    }
    return out;
  }

  private static List<float[]> pixels(int rows) {
    Random random = new Random(5);
    int size = config.visionConfig().imageSize();
    List<float[]> out = new ArrayList<>();
    for (int row = 0; row < rows; row++) {
      if (row % 2 != 0) {
        out.add(null);
        continue;
      }
      float[] px = new float[3 * size * size];
      for (int i = 0; i < px.length; i++) px[i] = (float) random.nextGaussian();
      out.add(px);
    }
    return out;
  }

  private static List<int[]> generate(List<int[]> prompts, List<float[]> pixels, int steps, int eos) {
    PaddedBatch batch = PaddedBatch.leftPad(prompts, config.textConfig().padTokenId());
    return decoder.generate(batch, decoder.imageFeatures(pixels), steps, eos);
  }

  @Test
  void batchedDecodeEqualsOneAtATime() {
    List<int[]> prompts = prompts();
    List<float[]> pixels = pixels(prompts.size());
    List<int[]> batched = generate(prompts, pixels, 6, -1);
    List<List<Integer>> distinct = new ArrayList<>();
    for (int row = 0; row < prompts.size(); row++) {
      int[] single = generate(List.of(prompts.get(row)), Arrays.asList(pixels.get(row)), 6, -1).get(0);
      assertEquals(6, single.length);
      assertArrayEquals(single, batched.get(row), "row " + row);
      distinct.add(Arrays.stream(single).boxed().toList());
    }
    // the rows really differ, so a mix-up between rows (or a padding leak) would show
    assertTrue(distinct.stream().distinct().count() >= 3, "continuations: " + distinct);
  }

  @Test
  void rowStopsAtEosWhileOthersContinue() {
    List<int[]> prompts = prompts();
    List<float[]> pixels = pixels(prompts.size());
    List<int[]> free = generate(prompts, pixels, 6, -1);
    int[] row0 = free.get(0);
    int cut = -1;
    for (int t = 1; t < row0.length && cut < 0; t++) {
      int token = row0[t];
      if (Arrays.stream(row0, 0, t).noneMatch(x -> x == token)) cut = t;
    }
    assertTrue(cut > 0, "row 0 never produces a new token: " + Arrays.toString(row0));
    int eos = row0[cut];
    List<int[]> stopped = generate(prompts, pixels, 6, eos);
    assertArrayEquals(Arrays.copyOf(row0, cut), stopped.get(0), "row 0 stops before eos " + eos);
    for (int row = 1; row < prompts.size(); row++) {
      int[] expected = free.get(row);
      int end = 0;
      while (end < expected.length && expected[end] != eos) end++;
      assertArrayEquals(Arrays.copyOf(expected, end), stopped.get(row), "row " + row);
    }
  }

  @Test
  void allRowsStoppingEndsTheDecodeEarly() {
    List<int[]> prompts = prompts().subList(0, 1);
    List<float[]> pixels = pixels(1);
    int first = generate(prompts, pixels, 1, -1).get(0)[0];
    assertEquals(0, generate(prompts, pixels, 8, first).get(0).length);
    assertNotEquals(-1, first);
  }

  @Test
  void imageFeaturesOnlyForRowsWithImages() {
    List<float[]> pixels = pixels(3);
    TensorValue features = decoder.imageFeatures(pixels);
    int per = config.visionConfig().numPatches() * config.textConfig().hiddenSize();
    TensorValue alone = Tensors.imageFeatures(backend, new TensorValue(new long[] {1, 3, 16, 16}, pixels.get(2)));
    assertArrayEquals(alone.data(), Arrays.copyOfRange(features.data(), 2 * per, 3 * per), 1e-5f);
    for (int i = per; i < 2 * per; i++) assertEquals(0f, features.data()[i]);
  }
}
