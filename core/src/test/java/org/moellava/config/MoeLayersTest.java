package org.moellava.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MoeLayersTest {
  @Test
  void namedPlacements() {
    assertEquals(List.of(0, 2, 4), MoeLayers.of(MoeLayers.Mode.SPARSE).resolve(6));
    assertEquals(List.of(0, 2, 4), MoeLayers.of(MoeLayers.Mode.SPARSE).resolve(5));
    assertEquals(List.of(0, 1, 2), MoeLayers.of(MoeLayers.Mode.FIRST_HALF).resolve(6));
    assertEquals(List.of(3, 4, 5), MoeLayers.of(MoeLayers.Mode.SECOND_HALF).resolve(6));
    assertEquals(List.of(0, 1, 2, 3), MoeLayers.of(MoeLayers.Mode.ALL).resolve(4));
    assertEquals(List.of(), MoeLayers.of(MoeLayers.Mode.NONE).resolve(4));
  }

  @Test
  void explicitListIsSortedAndDeduplicated() {
    assertEquals(List.of(1, 3), MoeLayers.explicit(List.of(3, 1, 3)).resolve(4));
  }
}
