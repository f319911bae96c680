package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.export.onnx.graph.OnnxGraphContext;
import org.moellava.export.onnx.io.InitializerSpill;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.StringStringEntryProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.validate.ConformanceReport;
import org.moellava.tensor.TensorValue;

/**
 * Initializers streamed into external data while converting (as at full size) give the package the in-heap path
 * gives: every initializer byte-identical (fp32 and fp16), external offsets page-aligned, no spill file left, the
 * package loaded by ONNX Runtime and passing validation with the same greedy tokens; and the converted graphs hold
 * no weight bytes on the heap (every large initializer is a view of the spill file), whatever the model's size.
 */
class StreamedExternalDataTest {
  @TempDir Path dir;

  @Test
  void streamedFp32PackageEqualsTheInHeapOne() throws IOException {
    checkStreamedEqualsInHeap(Precision.FP32);
  }

  @Test
  void streamedFp16PackageEqualsTheInHeapOneAndDropsTheFp32Originals() throws IOException {
    checkStreamedEqualsInHeap(Precision.FP16);
    // the fp16 package's data file holds the fp16 tensors only: the fp32 originals streamed first were compacted away
    ModelProto stored = OnnxModelReader.read(dir.resolve("pkg-stream/decoder.onnx"));
    long external = 0;
    int count = 0;
    for (TensorProto t : stored.getGraph().getInitializerList()) {
      if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
        external += Long.parseLong(value(t, "length"));
        count++;
      }
    }
    long size = Files.size(dir.resolve("pkg-stream/decoder.onnx.data"));
    assertTrue(size <= external + (long) count * InitializerSpill.ALIGNMENT,
        "data file " + size + " B for " + external + " B of " + count + " tensors");
  }

  private void checkStreamedEqualsInHeap(Precision precision) throws IOException {
    ModelConfig config = PkgTestConfigs.micro();
    TestCheckpoints.write(dir.resolve("ck"), config, 7);
    ExportOptions heap = ExportOptions.defaults().withPrecision(precision);
    ExportOptions stream = heap.withExternalDataThreshold(0);
    assertFalse(PackageExporter.streams(config, heap));
    assertTrue(PackageExporter.streams(config, stream));
    ConformanceReport a = new PackageExporter(heap).export(dir.resolve("ck"), dir.resolve("pkg-heap")).conformance();
    ConformanceReport b = new PackageExporter(stream).export(dir.resolve("ck"), dir.resolve("pkg-stream"))
        .conformance();
    assertTrue(b.passed(), "the streamed package loads in ONNX Runtime and matches TensorFlow");
    assertEquals(a.greedyTokensPackage(), b.greedyTokensPackage());

    int externalTensors = 0;
    for (String graph : List.of("vision", "embed", "decoder")) {
      Path heapFile = dir.resolve("pkg-heap/" + graph + ".onnx");
      Path streamFile = dir.resolve("pkg-stream/" + graph + ".onnx");
      Map<String, TensorProto> expected = byName(OnnxModelReader.readWithExternalData(heapFile));
      Map<String, TensorProto> actual = byName(OnnxModelReader.readWithExternalData(streamFile));
      assertEquals(expected.keySet(), actual.keySet(), graph);
      for (Map.Entry<String, TensorProto> e : expected.entrySet()) {
        TensorProto t = actual.get(e.getKey());
        assertEquals(e.getValue().getDataType(), t.getDataType(), e.getKey());
        assertEquals(e.getValue().getDimsList(), t.getDimsList(), e.getKey());
        assertEquals(e.getValue().getRawData(), t.getRawData(), graph + " " + e.getKey() + ": bytes differ");
      }
      for (TensorProto t : OnnxModelReader.read(streamFile).getGraph().getInitializerList()) {
        if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
          assertTrue(t.getRawData().size() < OnnxModelWriter.MIN_EXTERNAL_TENSOR_BYTES, t.getName());
          continue;
        }
        externalTensors++;
        assertEquals(graph + ".onnx.data", value(t, "location"));
        assertEquals(0, Long.parseLong(value(t, "offset")) % InitializerSpill.ALIGNMENT, t.getName());
      }
    }
    assertTrue(externalTensors > 20, "external tensors: " + externalTensors);
    try (Stream<Path> files = Files.list(dir.resolve("pkg-stream"))) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no spill file left behind");
    }
  }

  @Test
  void convertedGraphsHoldNoWeightBytesOnTheHeap() throws IOException {
    for (Precision precision : List.of(Precision.FP32, Precision.FP16)) {
      ModelConfig config = PkgTestConfigs.micro();
      Path ck = dir.resolve("ck-" + precision.id());
      TestCheckpoints.write(ck, config, 3);
      CheckpointReader reader = CheckpointReader.open(ck);
      Map<String, TensorValue> weights = reader.lazyVariables(CheckpointConsistency.check(reader, config));
      Map<String, Integer> viewed = new HashMap<>();
      new PackageConverter(config, ExportOptions.defaults().withPrecision(precision)).convert(weights,
          name -> InitializerSpill.create(dir.resolve(precision.id() + "-" + name + ".spill")),
          (name, model, spill) -> {
            int views = 0;
            for (TensorProto t : model.getGraph().getInitializerList()) {
              boolean narrowed = t.getDataType() == TensorProto.DataType.FLOAT16_VALUE && !t.getRawData().isEmpty();
              if (t.getRawData().size() < OnnxGraphContext.SPILL_BYTES && !narrowed) continue; // fp16: every copy
              assertNotNull(spill.regionOf(t.getRawData()), name + " " + t.getName() + " (" + t.getRawData().size()
                  + " B) is on the heap, not in the spill file");
              views++;
            }
            viewed.put(name, views);
            spill.close();
          });
      assertTrue(viewed.get("decoder") > 0, precision.id() + ": " + viewed); // micro: most tensors are small
    }
  }

  private static Map<String, TensorProto> byName(ModelProto m) {
    Map<String, TensorProto> out = new HashMap<>();
    for (TensorProto t : m.getGraph().getInitializerList()) out.put(t.getName(), t);
    return out;
  }

  private static String value(TensorProto t, String key) {
    for (StringStringEntryProto e : t.getExternalDataList()) if (e.getKey().equals(key)) return e.getValue();
    throw new AssertionError(t.getName() + " has no external_data " + key);
  }
}
