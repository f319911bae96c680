package org.moellava.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.runtime.TensorRtProbe;

/** Starting the TensorRT backend: a one-line reason where TensorRT cannot load, a clear error without engines. */
class TrtBackendTest {
  @TempDir Path dir;

  @Test
  void whereTensorRtCannotLoadOpeningFailsWithTheProbesReason() {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeFalse(a.available(), "TensorRT loads here (" + a.reason() + ")");
    BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> TrtBackend.open(dir));
    assertEquals("TensorRT unavailable: " + a.reason(), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertEquals(MoeLlavaException.EXIT_UNAVAILABLE, e.exitCode());
  }

  @Test
  void withTensorRtAPackageWithoutManifestIsRejected() {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeTrue(a.available(), "TensorRT unavailable: " + a.reason());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TrtBackend.open(dir));
    assertTrue(e.getMessage().contains("model.json"), e.getMessage());
  }
}
