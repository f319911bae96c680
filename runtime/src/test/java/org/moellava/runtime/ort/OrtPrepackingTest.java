package org.moellava.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;

/** Pre-packing: on by default (ONNX Runtime's default), overridable by the property; an explicit choice wins. */
class OrtPrepackingTest {
  @Test
  void autoPrepacks() {
    assertTrue(OrtOptions.Prepacking.AUTO.enabled());
    assertTrue(OrtOptions.Prepacking.ON.enabled());
    assertFalse(OrtOptions.Prepacking.OFF.enabled());
    assertEquals(OrtOptions.Prepacking.AUTO, OrtOptions.cpu().prepacking());
  }

  @Test
  void thePropertyOverridesAutoAndRejectsOtherValues() {
    String before = System.getProperty(OrtOptions.PREPACKING_PROPERTY);
    try {
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "on");
      assertTrue(OrtOptions.Prepacking.AUTO.enabled());
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "off");
      assertFalse(OrtOptions.Prepacking.AUTO.enabled());
      assertTrue(OrtOptions.Prepacking.ON.enabled(), "an explicit choice wins over the property");
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "maybe");
      assertThrows(InvalidInputException.class, () -> OrtOptions.Prepacking.AUTO.enabled());
    } finally {
      if (before == null) System.clearProperty(OrtOptions.PREPACKING_PROPERTY);
      else System.setProperty(OrtOptions.PREPACKING_PROPERTY, before);
    }
  }

  @Test
  void withPrepackingOffTellsTheSessionNotToPrepack() throws Exception {
    OrtOptions off = OrtOptions.cpu().withPrepacking(OrtOptions.Prepacking.OFF);
    assertEquals(OrtOptions.Prepacking.OFF, off.prepacking());
    try (ai.onnxruntime.OrtSession.SessionOptions so = OrtSessions.sessionOptions(off, false);
         ai.onnxruntime.OrtSession.SessionOptions on = OrtSessions.sessionOptions(
             OrtOptions.cpu().withPrepacking(OrtOptions.Prepacking.ON), false)) {
      assertEquals("1", so.getConfigEntries().get("session.disable_prepacking"));
      assertFalse(on.getConfigEntries().containsKey("session.disable_prepacking"));
    }
  }
}
