package org.moellava.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Object frequencies and pairwise co-occurrence over a set of annotated images, the statistics POPE's popular
 * and adversarial settings sample negatives from. Counts are per image (an object appearing twice in one image
 * counts once). Ties are broken by object name, so rankings are deterministic.
 */
public final class ObjectStatistics {
  private final Set<String> categories;
  private final Map<String, Integer> frequency = new HashMap<>();
  private final Map<String, Map<String, Integer>> coOccurrence = new HashMap<>();

  private ObjectStatistics(Set<String> categories) {
    this.categories = new TreeSet<>(categories);
  }

  /** Statistics of {@code images}; the category list is every object seen plus {@code extraCategories}. */
  public static ObjectStatistics of(List<AnnotatedImage> images, Set<String> extraCategories) {
    Set<String> all = new TreeSet<>(extraCategories);
    for (AnnotatedImage image : images) all.addAll(image.objects());
    ObjectStatistics stats = new ObjectStatistics(all);
    for (AnnotatedImage image : images) {
      for (String a : image.objects()) {
        stats.frequency.merge(a, 1, Integer::sum);
        for (String b : image.objects()) {
          if (!a.equals(b)) stats.coOccurrence.computeIfAbsent(a, k -> new HashMap<>()).merge(b, 1, Integer::sum);
        }
      }
    }
    return stats;
  }

  /** All object categories, sorted. */
  public Set<String> categories() {
    return categories;
  }

  /** Images containing {@code object}. */
  public int frequency(String object) {
    return frequency.getOrDefault(object, 0);
  }

  /** Images containing both {@code a} and {@code b} (a ≠ b). */
  public int coOccurrence(String a, String b) {
    return coOccurrence.getOrDefault(a, Map.of()).getOrDefault(b, 0);
  }

  /** Absent categories (not in {@code present}), most frequent first. */
  public List<String> popularAbsent(Set<String> present) {
    List<String> absent = absent(present);
    absent.sort(Comparator.comparingInt((String o) -> -frequency(o)).thenComparing(Comparator.naturalOrder()));
    return absent;
  }

  /**
   * Absent categories ranked by how often they co-occur with the present objects (summed over the present
   * objects), most first: the objects a model is most tempted to hallucinate from context.
   */
  public List<String> adversarialAbsent(Set<String> present) {
    List<String> absent = absent(present);
    Map<String, Integer> score = new HashMap<>();
    for (String o : absent) {
      int s = 0;
      for (String p : present) s += coOccurrence(p, o);
      score.put(o, s);
    }
    absent.sort(Comparator.comparingInt((String o) -> -score.get(o)).thenComparing(Comparator.naturalOrder()));
    return absent;
  }

  /** Absent categories in name order. */
  public List<String> absent(Set<String> present) {
    List<String> absent = new ArrayList<>();
    for (String c : categories) {
      if (!present.contains(c)) absent.add(c);
    }
    return absent;
  }
}
