package org.moellava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.image.ImagePreprocessor;
import org.moellava.text.Tokenizer;

class DataLoaderTest {
  @TempDir Path dir;

  @Test
  void batchesArePaddedAlignedAndReproducible() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    Path file = dir.resolve("tokenizer.json");
    SynthVocabulary.writeTokenizer(file, tiny.textConfig().vocabSize());
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(4).withSplits(64, 0, 0));
    ConversationDataset data = SynthDatasets.instructions(world, Split.TRAIN);
    ImagePreprocessor pre = ImagePreprocessor.fromConfig(tiny);
    try (Tokenizer tok = Tokenizer.load(file)) {
      SampleBuilder builder = SampleBuilder.forConfig(tiny, tok, PromptTemplate.CHAT, SynthVocabulary.SYSTEM_PROMPT);
      try (DataLoader loader = new DataLoader(data, builder, pre, 8, 42, true, 0, false, 2)) {
        assertEquals((64 + 16 + 6) / 8, loader.batchesPerEpoch()); // images, descriptions, text-only
        Set<Integer> epoch = new HashSet<>();
        for (int step = 0; step < loader.batchesPerEpoch(); step++) {
          for (int i : loader.indicesOf(step)) assertTrue(epoch.add(i), "index twice in an epoch");
        }
        Batch batch = loader.batch(3);
        assertArrayEquals(loader.batch(3).inputIds(), batch.inputIds());
        int[] indices = loader.indicesOf(3);
        int p = tiny.visionConfig().numPatches();
        int s = batch.sequenceLength();
        int values = pre.valuesPerImage();
        for (int b = 0; b < 8; b++) {
          TokenizedSample sample = builder.build(data.entry(indices[b]));
          assertEquals(data.entry(indices[b]).id(), batch.ids().get(b));
          int len = sample.length();
          assertArrayEquals(sample.inputIds(), Arrays.copyOf(batch.inputIds()[b], len));
          for (int t = 0; t < s; t++) {
            assertEquals(t < len ? 1 : 0, batch.attentionMask()[b][t]);
            if (t >= len) {
              assertEquals(0, batch.inputIds()[b][t]);
              assertEquals(TokenizedSample.IGNORE, batch.labels()[b][t]);
            }
          }
          long imageTokens = Arrays.stream(sample.inputIds()).filter(id -> id == tiny.imageTokenIndex()).count();
          assertEquals(batch.hasImage()[b] ? p : 0, imageTokens);
          float[] expected = batch.hasImage()[b] ? pre.preprocess(data.image(indices[b])) : new float[values];
          assertArrayEquals(expected, Arrays.copyOfRange(batch.pixelValues(), b * values, (b + 1) * values));
        }
      }
    }
  }

  @Test
  void loadThroughputIsMeasured() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    Path file = dir.resolve("tokenizer.json");
    SynthVocabulary.writeTokenizer(file, tiny.textConfig().vocabSize());
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(4).withSplits(800, 0, 0));
    Path written = dir.resolve("train");
    LlavaDatasetWriter.write(SynthDatasets.instructions(world, Split.TRAIN), written);
    LlavaDataset fromDisk = LlavaDatasetReader.read(written);
    try (Tokenizer tok = Tokenizer.load(file)) {
      SampleBuilder builder = SampleBuilder.forConfig(tiny, tok, PromptTemplate.CHAT, SynthVocabulary.SYSTEM_PROMPT);
      for (String source : new String[] {"generated", "PNG files"}) {
        ConversationDataset data = source.equals("generated") ? SynthDatasets.instructions(world, Split.TRAIN) : fromDisk;
        try (DataLoader loader = new DataLoader(data, builder, ImagePreprocessor.fromConfig(tiny), 32, 1, true, 0, false, 2)) {
          for (int step = 0; step < 5; step++) loader.batch(step);
          int steps = 20;
          long start = System.nanoTime();
          int tokens = 0;
          for (int step = 5; step < 5 + steps; step++) tokens += loader.batch(step).realTokens();
          double seconds = (System.nanoTime() - start) / 1e9;
          double samples = steps * 32 / seconds;
          System.out.printf("data loading (%s, tiny preset, batch 32, 2 threads): %.0f samples/s, %.0f tokens/s%n",
              source, samples, tokens / seconds);
          assertTrue(samples > 100, "loading too slow: " + samples + " samples/s");
        }
      }
    }
  }
}
