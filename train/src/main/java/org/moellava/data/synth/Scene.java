package org.moellava.data.synth;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What one synthetic image contains.
 *
 * @param index global image index (splits own disjoint index ranges)
 * @param background grey level of the background, 0..255
 * @param objects 1 to 4 objects, each in a different slot
 */
public record Scene(long index, int background, List<SynthObject> objects) {
  public Scene {
    objects = List.copyOf(objects);
  }

  /** The distinct shapes present. */
  public Set<Shape> shapes() {
    Set<Shape> shapes = EnumSet.noneOf(Shape.class);
    for (SynthObject o : objects) shapes.add(o.shape());
    return shapes;
  }

  /** How many objects have {@code shape}. */
  public int count(Shape shape) {
    int n = 0;
    for (SynthObject o : objects) {
      if (o.shape() == shape) n++;
    }
    return n;
  }
}
