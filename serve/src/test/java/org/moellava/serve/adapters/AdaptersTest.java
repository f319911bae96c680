package org.moellava.serve.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImagePreprocessor;
import org.moellava.runtime.Device;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import org.moellava.serve.fake.TestImages;
import org.moellava.serve.load.BackendKind;
import org.moellava.serve.load.ServingModels;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.prompt.ChatTemplate;

/** The adapters between the project's tokenizer / preprocessing and the server, and the model loader's errors. */
class AdaptersTest {
  @TempDir Path tmp;

  @Test
  void imageDecoderNormalisesWithTheConfiguredMeanAndStd() throws Exception {
    List<Double> mean = List.of(0.5, 0.25, 0.125);
    List<Double> std = List.of(0.5, 0.25, 2.0);
    PreprocessorImageDecoder decoder = new PreprocessorImageDecoder(
        new ImagePreprocessor(4, mean, std, ImagePreprocessor.AspectMode.PAD), 10_000, 100_000);
    float[] pixels = decoder.decode(TestImages.png(TestImages.solid(8, 8, new Color(255, 51, 0))));
    assertEquals(3 * 4 * 4, pixels.length);
    double[] expected = {(1.0 - 0.5) / 0.5, (0.2 - 0.25) / 0.25, (0.0 - 0.125) / 2.0};
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < 16; i++) assertEquals(expected[c], pixels[c * 16 + i], 1e-5, "channel " + c);
    }
  }

  @Test
  void imageDecoderRefusesOversizedInputBeforeDecoding() throws Exception {
    PreprocessorImageDecoder decoder = new PreprocessorImageDecoder(
        new ImagePreprocessor(4, List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5), ImagePreprocessor.AspectMode.CROP),
        100, 1_000_000);
    InvalidInputException bomb = assertThrows(InvalidInputException.class,
        () -> decoder.decode(TestImages.pngHeaderOnly(50_000, 50_000)));
    assertTrue(bomb.getMessage().contains("pixel"), bomb.getMessage());
    PreprocessorImageDecoder tiny = new PreprocessorImageDecoder(
        new ImagePreprocessor(4, List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5), ImagePreprocessor.AspectMode.CROP),
        100, 10);
    assertThrows(InvalidInputException.class, () -> tiny.decode(TestImages.png(TestImages.solid(2, 2, Color.RED))));
  }

  @Test
  void templateUsesTheModelsSystemPrompt() {
    FakeTokenizer tokenizer = new FakeTokenizer();
    ChatTemplate template = new ChatTemplate(tokenizer, new FakeBackend().info(), "shapes only.");
    int[] ids = template.build(List.of(new ChatMessage("user", "Hi", false)));
    assertArrayEquals(tokenizer.encode("shapes only. USER: Hi ASSISTANT:"), ids);
  }

  @Test
  void idsOnlyTokenizerParsesIdsAndChecksTheVocabulary() {
    IdsOnlyTokenizer ids = new IdsOnlyTokenizer(100);
    assertArrayEquals(new int[] {5, 17, 42}, ids.encode(" 5, 17 42 "));
    assertEquals("5 17 ", ids.decode(new int[] {5, 17, 42}, 2));
    assertThrows(InvalidInputException.class, () -> ids.encode("5 100"));
    assertThrows(InvalidInputException.class, () -> ids.encode("five"));
  }

  @Test
  void loaderExplainsWrongSourceBackendPairs() {
    InvalidInputException tfOnPackage = assertThrows(InvalidInputException.class, () -> ServingModels.open(
        new ServingModels.Request(tmp, null, BackendKind.TF, OrtOptions.cpu(), false)));
    assertTrue(tfOnPackage.getMessage().contains("checkpoint, not a model package"), tfOnPackage.getMessage());
    assertFalse(tfOnPackage.getMessage().contains("--"), "library messages name no CLI flag: " + tfOnPackage.getMessage());
    InvalidInputException ortOnCheckpoint = assertThrows(InvalidInputException.class, () -> ServingModels.open(
        new ServingModels.Request(null, tmp, BackendKind.ORT, OrtOptions.cpu(), false)));
    assertTrue(ortOnCheckpoint.getMessage().contains("runs a model package"), ortOnCheckpoint.getMessage());
    assertFalse(ortOnCheckpoint.getMessage().contains("--"), ortOnCheckpoint.getMessage());
    assertThrows(InvalidInputException.class, () -> new ServingModels.Request(tmp, tmp, null, OrtOptions.cpu(), false));
    assertEquals(Device.CUDA, Device.parse("cuda"));
    assertThrows(InvalidInputException.class, () -> BackendKind.parse("vllm"));
  }
}
