package org.moellava.data.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.moellava.data.Split;
import org.moellava.image.RgbImage;

/** Per-patch vision targets against hand-derived cells and an independent recount from the scene geometry. */
class PatchLabelsTest {
  private static final SceneRenderer RENDERER = new SceneRenderer(64, 64);

  @Test
  void constructedSceneLabelsExactlyTheCoveredCells() {
    // large square in the centre: centre (32,32), r = 7.04, half side 4.93 -> pixel columns/rows 27..36,
    // 5 of them in each of cells 3 and 4: cells (3,3),(3,4),(4,3),(4,4) hold 25 pixels each.
    // small circle on the left: centre (16,32) on the corner of cells (3,1),(3,2),(4,1),(4,2), a quarter each.
    SynthObject square = new SynthObject(Shape.SQUARE, Colour.BLUE, ObjectSize.LARGE, Position.CENTRE);
    SynthObject circle = new SynthObject(Shape.CIRCLE, Colour.RED, ObjectSize.SMALL, Position.LEFT);
    Scene scene = new Scene(0, 30, List.of(square, circle));
    PatchLabels labels = PatchLabels.of(scene, RENDERER, 8);
    Set<Integer> squareCells = Set.of(3 * 8 + 3, 3 * 8 + 4, 4 * 8 + 3, 4 * 8 + 4);
    Set<Integer> circleCells = Set.of(3 * 8 + 1, 3 * 8 + 2, 4 * 8 + 1, 4 * 8 + 2);
    for (int cell = 0; cell < 64; cell++) {
      if (squareCells.contains(cell)) {
        assertEquals(1 + Shape.SQUARE.ordinal(), labels.shapes()[cell], "cell " + cell);
        assertEquals(Colour.BLUE.ordinal(), labels.colours()[cell]);
        assertEquals(ObjectSize.LARGE.ordinal(), labels.sizes()[cell]);
        assertEquals(Position.CENTRE.ordinal(), labels.positions()[cell]);
      } else if (circleCells.contains(cell)) {
        assertEquals(1 + Shape.CIRCLE.ordinal(), labels.shapes()[cell], "cell " + cell);
        assertEquals(Colour.RED.ordinal(), labels.colours()[cell]);
        assertEquals(ObjectSize.SMALL.ordinal(), labels.sizes()[cell]);
        assertEquals(Position.LEFT.ordinal(), labels.positions()[cell]);
      } else {
        assertEquals(0, labels.shapes()[cell], "cell " + cell);
        assertEquals(-1, labels.colours()[cell]);
        assertEquals(-1, labels.sizes()[cell]);
        assertEquals(-1, labels.positions()[cell]);
      }
    }
  }

  @Test
  void labelsAgreeWithAnIndependentRecountOfTheGeometry() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(5).withSplits(200, 0, 0));
    for (int i = 0; i < 200; i++) {
      Scene scene = world.sample(Split.TRAIN, i).scene();
      PatchLabels labels = PatchLabels.of(scene, world.renderer(), 8);
      int[] expected = new int[64];
      for (int cell = 0; cell < 64; cell++) {
        int bestCount = 0;
        for (SynthObject o : scene.objects()) {
          double cx = o.position().x() * 64;
          double cy = o.position().y() * 64;
          double r = o.size().radiusFraction() * 64;
          double[][] polygon = SceneRenderer.polygon(o.shape(), r);
          int count = 0;
          for (int y = (cell / 8) * 8; y < (cell / 8) * 8 + 8; y++) {
            for (int x = (cell % 8) * 8; x < (cell % 8) * 8 + 8; x++) {
              if (SceneRenderer.inside(o.shape(), x + 0.5 - cx, y + 0.5 - cy, r, polygon)) count++;
            }
          }
          if (count >= 4 && count > bestCount) {
            bestCount = count;
            expected[cell] = 1 + o.shape().ordinal();
          }
        }
      }
      assertArrayEquals(expected, labels.shapes(), "scene " + i);
      for (int cell = 0; cell < 64; cell++) {
        assertEquals(expected[cell] == 0, labels.colours()[cell] < 0);
        assertEquals(expected[cell] == 0, labels.sizes()[cell] < 0);
        assertEquals(expected[cell] == 0, labels.positions()[cell] < 0);
      }
      // every object shows on at least one patch
      for (SynthObject o : scene.objects()) {
        boolean seen = false;
        for (int cell = 0; cell < 64; cell++) {
          seen |= labels.shapes()[cell] == 1 + o.shape().ordinal() && labels.colours()[cell] == o.colour().ordinal();
        }
        assertTrue(seen, "object " + o + " of scene " + i + " labels no patch");
      }
    }
  }

  @Test
  void objectMapAgreesWithTheRenderedPixels() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(9).withSplits(30, 0, 0));
    for (int i = 0; i < 30; i++) {
      Scene scene = world.sample(Split.TRAIN, i).scene();
      RgbImage image = world.render(scene);
      int[] map = world.renderer().objectMap(scene);
      for (int p = 0; p < map.length; p++) {
        int[] rgb = {image.rgb()[3 * p] & 0xFF, image.rgb()[3 * p + 1] & 0xFF, image.rgb()[3 * p + 2] & 0xFF};
        int[] want = map[p] < 0 ? new int[] {scene.background(), scene.background(), scene.background()}
            : scene.objects().get(map[p]).colour().rgb();
        for (int c = 0; c < 3; c++) {
          assertTrue(Math.abs(rgb[c] - Math.max(0, Math.min(255, want[c]))) <= 12, "scene " + i + " pixel " + p);
        }
      }
    }
  }
}
