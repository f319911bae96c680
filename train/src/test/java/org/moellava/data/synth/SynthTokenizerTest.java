package org.moellava.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.Presets;
import org.moellava.config.ModelConfig;
import org.moellava.data.Split;
import org.moellava.error.ConfigException;
import org.moellava.text.Tokenizer;

class SynthTokenizerTest {
  @TempDir Path dir;

  @Test
  void everySyntheticSentenceRoundTripsWithoutUnknownTokens() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    Path file = dir.resolve("tokenizer.json");
    SynthVocabulary.writeTokenizer(file, tiny.textConfig().vocabSize());
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(1).withSplits(800, 100, 100));
    List<String> sentences = new ArrayList<>(List.of(SynthVocabulary.SYSTEM_PROMPT));
    for (Split split : Split.values()) {
      for (int i = 0; i < world.size(split); i++) {
        SynthSample s = world.sample(split, i);
        sentences.add(s.caption());
        for (QaPair qa : s.conversation()) {
          sentences.add(qa.question());
          sentences.add(qa.answer());
        }
      }
      for (int i = 0; i < world.textOnlySize(split); i++) {
        for (QaPair qa : world.textOnly(split, i).conversation()) {
          sentences.add(qa.question());
          sentences.add(qa.answer());
        }
      }
    }
    try (Tokenizer tok = Tokenizer.load(file)) {
      assertEquals(tiny.textConfig().padTokenId(), tok.tokenId("<pad>"));
      assertEquals(tiny.textConfig().eosTokenId(), tok.tokenId("<eos>"));
      assertEquals(tiny.imageTokenIndex(), tok.tokenId("<image>"));
      assertEquals(3, tok.tokenId("<unk>"));
      assertTrue(tok.vocabSize() <= tiny.textConfig().vocabSize(), "vocab " + tok.vocabSize());
      for (String s : sentences) {
        int[] ids = tok.encode(s);
        for (int id : ids) assertTrue(id > 3, "special or unknown token in '" + s + "'");
        assertEquals(s, tok.decode(ids), "round trip");
      }
      // template words are in the vocabulary too
      for (String w : List.of("USER", "ASSISTANT", ":")) assertTrue(tok.hasToken(w), w);
    }
    System.out.println("synthetic vocabulary: " + (SynthVocabulary.words().size() + 4) + " tokens, "
        + sentences.size() + " sentences round-tripped");
  }

  @Test
  void aVocabSizeTooSmallFailsLoudly() {
    assertThrows(ConfigException.class, () -> SynthVocabulary.tokenizerJson(40));
  }
}
