package org.moellava.data.synth;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.moellava.image.RgbImage;

/**
 * Draws a {@link Scene} into an RGB image: a flat grey background, then each object filled in its colour
 * (jittered by up to ±12 per channel) inside its slot. A pixel belongs to a shape when its centre does.
 * Every shape lies within its bounding circle of radius {@code size.radiusFraction() * side}.
 */
public final class SceneRenderer {
  private static final int COLOUR_JITTER = 12;

  private final int width;
  private final int height;

  /** A renderer for {@code width x height} images. */
  public SceneRenderer(int width, int height) {
    this.width = width;
    this.height = height;
  }

  /** Renders {@code scene}; {@code random} supplies the colour jitter. */
  public RgbImage render(Scene scene, SplittableRandom random) {
    byte[] rgb = new byte[width * height * 3];
    java.util.Arrays.fill(rgb, (byte) scene.background());
    for (SynthObject o : scene.objects()) {
      int[] base = o.colour().rgb();
      byte[] colour = new byte[3];
      for (int c = 0; c < 3; c++) {
        int v = base[c] + random.nextInt(2 * COLOUR_JITTER + 1) - COLOUR_JITTER;
        colour[c] = (byte) Math.max(0, Math.min(255, v));
      }
      draw(rgb, o, colour);
    }
    return new RgbImage(width, height, rgb);
  }

  /** Image width in pixels. */
  public int width() {
    return width;
  }

  /** Image height in pixels. */
  public int height() {
    return height;
  }

  /** Centre x of {@code o} in pixels. */
  public double centreX(SynthObject o) {
    return o.position().x() * width;
  }

  /** Centre y of {@code o} in pixels. */
  public double centreY(SynthObject o) {
    return o.position().y() * height;
  }

  /** Bounding-circle radius of {@code o} in pixels. */
  public double radius(SynthObject o) {
    return o.size().radiusFraction() * Math.min(width, height);
  }

  /**
   * Which object paints each pixel: {@code [height*width]} row-major, the index of the object in
   * {@code scene.objects()} or -1 for background. Pure geometry (no colour jitter), so it is deterministic and
   * agrees pixel for pixel with {@link #render}.
   */
  public int[] objectMap(Scene scene) {
    int[] map = new int[width * height];
    java.util.Arrays.fill(map, -1);
    List<SynthObject> objects = scene.objects();
    for (int k = 0; k < objects.size(); k++) {
      int index = k;
      cover(objects.get(k), pixel -> map[pixel] = index);
    }
    return map;
  }

  private void draw(byte[] rgb, SynthObject o, byte[] colour) {
    cover(o, pixel -> {
      int i = pixel * 3;
      rgb[i] = colour[0];
      rgb[i + 1] = colour[1];
      rgb[i + 2] = colour[2];
    });
  }

  /** Calls {@code action} with the index {@code y*width+x} of every pixel whose centre lies in {@code o}. */
  private void cover(SynthObject o, IntConsumer action) {
    double cx = centreX(o);
    double cy = centreY(o);
    double r = radius(o);
    double[][] polygon = polygon(o.shape(), r);
    int x0 = Math.max(0, (int) Math.floor(cx - r));
    int x1 = Math.min(width - 1, (int) Math.ceil(cx + r));
    int y0 = Math.max(0, (int) Math.floor(cy - r));
    int y1 = Math.min(height - 1, (int) Math.ceil(cy + r));
    for (int y = y0; y <= y1; y++) {
      double dy = y + 0.5 - cy;
      for (int x = x0; x <= x1; x++) {
        double dx = x + 0.5 - cx;
        if (inside(o.shape(), dx, dy, r, polygon)) action.accept(y * width + x);
      }
    }
  }

  /** Whether offset (dx, dy) from the centre lies in {@code shape} of bounding radius r. */
  static boolean inside(Shape shape, double dx, double dy, double r, double[][] polygon) {
    double ax = Math.abs(dx);
    double ay = Math.abs(dy);
    double d2 = dx * dx + dy * dy;
    return switch (shape) {
      case CIRCLE -> d2 <= r * r;
      case RING -> d2 <= r * r && d2 >= 0.3 * r * r;
      case SQUARE -> ax <= 0.7 * r && ay <= 0.7 * r;
      case DIAMOND -> ax + ay <= r;
      case CROSS -> (ax <= 0.95 * r && ay <= 0.3 * r) || (ay <= 0.95 * r && ax <= 0.3 * r);
      case TRIANGLE, STAR, HEXAGON -> insidePolygon(dx, dy, polygon);
    };
  }

  /** Vertices (x, y) relative to the centre, on circles of radius at most r; null for non-polygons. */
  static double[][] polygon(Shape shape, double r) {
    return switch (shape) {
      case TRIANGLE -> regular(3, r, r);
      case HEXAGON -> regular(6, r, r);
      case STAR -> regular(10, r, 0.45 * r);
      default -> null;
    };
  }

  /** n vertices starting at the top, alternating radii outer/inner (equal radii: a regular polygon). */
  private static double[][] regular(int n, double outer, double inner) {
    double[][] v = new double[n][2];
    for (int i = 0; i < n; i++) {
      double angle = -Math.PI / 2 + 2 * Math.PI * i / n;
      double rr = i % 2 == 0 ? outer : inner;
      v[i][0] = rr * Math.cos(angle);
      v[i][1] = rr * Math.sin(angle);
    }
    return v;
  }

  /** Even-odd ray casting. */
  private static boolean insidePolygon(double x, double y, double[][] v) {
    boolean in = false;
    for (int i = 0, j = v.length - 1; i < v.length; j = i++) {
      double xi = v[i][0];
      double yi = v[i][1];
      double xj = v[j][0];
      double yj = v[j][1];
      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
  }
}
