package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.moellava.runtime.TensorRtProbe;

class VersionCommandTest {
  @Test
  void printsRuntimeVersionsAndTensorRtStatus() {
    CliRunner r = CliRunner.run("version");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("tensorflow   2.18.0"), r.out());
    assertTrue(r.out().contains("onnxruntime  1.29.0"), r.out());
    assertTrue(r.out().contains("CPU"), r.out());
    TensorRtProbe.Availability trt = TensorRtProbe.availability();
    String expected = trt.available() ? "tensorrt     available: " : "tensorrt     unavailable: " + trt.reason();
    assertTrue(r.out().contains(expected), r.out());
    assertTrue(r.out().contains("moellava     0."), r.out());
  }
}
