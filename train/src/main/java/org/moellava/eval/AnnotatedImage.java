package org.moellava.eval;

import java.util.Set;
import java.util.TreeSet;

/** The ground-truth object categories of one image. */
public record AnnotatedImage(String imageId, Set<String> objects) {
  public AnnotatedImage {
    objects = java.util.Collections.unmodifiableSet(new TreeSet<>(objects));
  }
}
