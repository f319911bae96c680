package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HfReferenceTest {
  @Test
  void readsTheReferenceInputsAndOutputs() throws IOException {
    for (String variant : List.of("a", "b")) {
      JsonNode meta = RawHf.JSON.readTree(RawHf.fixture(variant).resolve("reference.json").toFile());
      HfReference ref = HfReference.read(RawHf.fixture(variant).resolve(HfReference.FILE));
      int b = meta.get("batch").asInt();
      int s = meta.get("seq_len").asInt();
      int p = meta.get("num_image_tokens").asInt();
      List<Integer> moe = new ArrayList<>();
      meta.get("moe_layers").forEach(n -> moe.add(n.asInt()));
      assertEquals(moe, List.copyOf(ref.routerLogits().keySet()));
      assertArrayEquals(new long[] {b, s}, ref.inputIds().shape());
      assertArrayEquals(new long[] {b, s}, ref.attentionMask().shape());
      assertArrayEquals(new long[] {b, meta.get("greedy_new_tokens").asInt()}, ref.greedyTokens().shape());
      assertEquals(p, ref.imageFeatures().shape()[1]);
      assertEquals(3, ref.pixelValues().shape()[1]);
      assertEquals(b * s, ref.routerLogits().get(moe.get(0)).shape()[0]);
      long imageTokens = java.util.Arrays.stream(ref.inputIds().data())
          .filter(id -> id == meta.get("image_token_index").asLong()).count();
      assertEquals((long) b * p, imageTokens, "P image tokens per sample");
    }
  }
}
