package org.moellava.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;

class SplitTest {
  @Test
  void parsesEachLabelAndNamesTheOptionOtherwise() {
    for (Split s : Split.values()) assertEquals(s, Split.parse(s.label()));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Split.parse("TEST"));
    assertEquals("--split must be train, val or test, got 'TEST'", e.getMessage());
  }
}
