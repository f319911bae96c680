package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Chunk sizes from measured costs: a quarter decode step while others decode, the configured size otherwise. */
class ChunkSizerTest {
  @Test
  void withNothingMeasuredOrNothingDecodingAChunkIsTheConfiguredSize() {
    ChunkSizer sizer = new ChunkSizer();
    assertEquals(128, sizer.chunkTokens(128, true), "nothing measured yet");
    sizer.decodeStep(40_000_000);
    sizer.prefillChunk(100, 100_000_000);
    assertEquals(128, sizer.chunkTokens(128, false), "no one waits for the chunk");
  }

  @Test
  void whileOthersDecodeAChunkTakesAQuarterOfADecodeStep() {
    ChunkSizer sizer = new ChunkSizer();
    sizer.decodeStep(40_000_000); // 40 ms per decode step
    sizer.prefillChunk(100, 50_000_000); // 0.5 ms per prompt position
    assertEquals(20, sizer.chunkTokens(128, true), "10 ms / 0.5 ms");
    assertEquals(16, sizer.chunkTokens(16, true), "never above the configured size");
    sizer.prefillChunk(10, 100_000_000); // 10 ms per position now: the average 0.7 * 0.5 + 0.3 * 10 = 3.35 ms
    assertEquals(8, sizer.chunkTokens(128, true), "10 ms / 3.35 ms = 2, raised to the smallest chunk");
    assertEquals(4, sizer.chunkTokens(4, true), "a configured size below the smallest chunk is kept");
  }
}
