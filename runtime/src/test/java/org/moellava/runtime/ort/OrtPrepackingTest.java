package org.moellava.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;

/** Pre-packing: off by default only for models with external data (memory-mapped weights), overridable. */
class OrtPrepackingTest {
  @Test
  void autoPrepacksOnlyModelsWithoutExternalData() {
    assertTrue(OrtOptions.Prepacking.AUTO.enabled(false));
    assertFalse(OrtOptions.Prepacking.AUTO.enabled(true));
    assertTrue(OrtOptions.Prepacking.ON.enabled(true));
    assertFalse(OrtOptions.Prepacking.OFF.enabled(false));
    assertEquals(OrtOptions.Prepacking.AUTO, OrtOptions.cpu().prepacking());
  }

  @Test
  void thePropertyOverridesAutoAndRejectsOtherValues() {
    String before = System.getProperty(OrtOptions.PREPACKING_PROPERTY);
    try {
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "on");
      assertTrue(OrtOptions.Prepacking.AUTO.enabled(true));
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "off");
      assertFalse(OrtOptions.Prepacking.AUTO.enabled(false));
      assertTrue(OrtOptions.Prepacking.ON.enabled(false), "an explicit choice wins over the property");
      System.setProperty(OrtOptions.PREPACKING_PROPERTY, "maybe");
      assertThrows(InvalidInputException.class, () -> OrtOptions.Prepacking.AUTO.enabled(true));
    } finally {
      if (before == null) System.clearProperty(OrtOptions.PREPACKING_PROPERTY);
      else System.setProperty(OrtOptions.PREPACKING_PROPERTY, before);
    }
  }
}
