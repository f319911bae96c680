package org.moellava.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.tensor.TensorValue;

class StreamingCheckpointWriterTest {
  @TempDir Path tmp;

  @Test
  void streamedCheckpointReadsBackLikeAWholeOne() throws IOException {
    Map<String, TensorValue> vars = CheckpointRoundTripTest.sampleVariables();
    ModelConfig config = Presets.get(Presets.TINY);
    Path target = tmp.resolve("ck");
    // a 16-byte batch: every variable becomes its own part, so the merge of several parts is exercised
    try (StreamingCheckpointWriter w = StreamingCheckpointWriter.open(target, 16)) {
      vars.forEach(w::add);
      w.finish(config, "{}".getBytes(), CheckpointRoundTripTest.sampleState(), Map.of("extra.json", new byte[] {1}));
    }
    CheckpointReader reader = CheckpointReader.open(target);
    Map<String, TensorValue> back = reader.readVariables();
    assertEquals(vars.keySet(), back.keySet());
    for (String name : vars.keySet()) {
      assertArrayEquals(vars.get(name).shape(), back.get(name).shape(), name);
      for (int i = 0; i < vars.get(name).data().length; i++) {
        assertEquals(Float.floatToRawIntBits(vars.get(name).data()[i]), Float.floatToRawIntBits(back.get(name).data()[i]),
            name + "[" + i + "]");
      }
    }
    assertEquals(CheckpointRoundTripTest.sampleState(), reader.state());
    assertArrayEquals(new byte[] {1}, reader.extraFile("extra.json").orElseThrow());
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(1, files.count(), "only the published checkpoint, no staging left");
    }
    try (Stream<Path> files = Files.list(target.resolve("variables"))) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no part files left");
    }
  }

  @Test
  void closedWithoutFinishLeavesNothing() throws IOException {
    Path target = tmp.resolve("ck");
    try (StreamingCheckpointWriter w = StreamingCheckpointWriter.open(target, 16)) {
      CheckpointRoundTripTest.sampleVariables().forEach(w::add);
    }
    assertFalse(Files.exists(target));
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void refusesADuplicateName() {
    try (StreamingCheckpointWriter w = StreamingCheckpointWriter.open(tmp.resolve("ck"))) {
      w.add("a", new TensorValue(new long[] {1}, new float[] {1}));
      assertThrows(IllegalArgumentException.class, () -> w.add("a", new TensorValue(new long[] {1}, new float[] {2})));
    }
  }
}
