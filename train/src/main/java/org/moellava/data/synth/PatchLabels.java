package org.moellava.data.synth;

import java.util.Arrays;
import java.util.List;

/**
 * Per-patch targets of vision pretraining: for each cell of a {@code grid x grid} patch grid over the image
 * (row-major, as the vision tower orders its patch tokens), the attributes (shape, colour, size, slot) of the object that paints the most
 * pixels of that cell, provided it paints at least {@link #MIN_FRACTION} of them; otherwise the cell is background.
 * Slot centres lie on patch corners, so a small object covers about a quarter of each of four cells: a majority
 * rule would lose it, the largest-cover rule with a small floor keeps it on every cell it really shows in.
 *
 * @param shapes {@code [grid*grid]}: 0 for background, 1 + the shape's ordinal otherwise
 * @param colours {@code [grid*grid]}: the colour's ordinal, -1 for background
 * @param sizes {@code [grid*grid]}: the size's ordinal, -1 for background
 * @param positions {@code [grid*grid]}: the object's slot ({@link Position}) ordinal, -1 for background
 */
public record PatchLabels(int[] shapes, int[] colours, int[] sizes, int[] positions) {
  /** Smallest fraction of a cell's pixels an object must paint to label the cell. */
  public static final double MIN_FRACTION = 1.0 / 16;

  /** Labels of {@code scene} drawn by {@code renderer}, over a {@code grid x grid} patch grid. */
  public static PatchLabels of(Scene scene, SceneRenderer renderer, int grid) {
    int[] map = renderer.objectMap(scene); // [H*W], object index or -1
    int width = renderer.width();
    int height = renderer.height();
    List<SynthObject> objects = scene.objects();
    int cells = grid * grid;
    int[] shapes = new int[cells];
    int[] colours = new int[cells];
    int[] sizes = new int[cells];
    int[] positions = new int[cells];
    Arrays.fill(colours, -1);
    Arrays.fill(sizes, -1);
    Arrays.fill(positions, -1);
    int[] counts = new int[objects.size()];
    for (int row = 0; row < grid; row++) {
      int y0 = row * height / grid;
      int y1 = (row + 1) * height / grid;
      for (int col = 0; col < grid; col++) {
        int x0 = col * width / grid;
        int x1 = (col + 1) * width / grid;
        Arrays.fill(counts, 0);
        for (int y = y0; y < y1; y++) {
          for (int x = x0; x < x1; x++) {
            int o = map[y * width + x];
            if (o >= 0) counts[o]++;
          }
        }
        int best = -1;
        for (int o = 0; o < counts.length; o++) {
          if (counts[o] > 0 && (best < 0 || counts[o] > counts[best])) best = o;
        }
        int area = (y1 - y0) * (x1 - x0);
        if (best >= 0 && counts[best] >= MIN_FRACTION * area) {
          SynthObject object = objects.get(best);
          int cell = row * grid + col;
          shapes[cell] = 1 + object.shape().ordinal();
          colours[cell] = object.colour().ordinal();
          sizes[cell] = object.size().ordinal();
          positions[cell] = object.position().ordinal();
        }
      }
    }
    return new PatchLabels(shapes, colours, sizes, positions);
  }
}
