package org.moellava.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.moellava.data.Split;
import org.moellava.data.synth.QaPair;
import org.moellava.data.synth.Shape;
import org.moellava.data.synth.SynthSample;
import org.moellava.data.synth.SynthWorld;
import org.moellava.image.RgbImage;

/**
 * The evaluation sets of a synthetic world's split: VQA questions (every conversation turn, asked singly),
 * annotated images for POPE (object category = shape) and the caption parser for shapes.
 */
public final class SyntheticBenchmark {
  /** POPE question format in the synthetic vocabulary. */
  public static final String POPE_FORMAT = "is there a %s?";

  private final SynthWorld world;
  private final Split split;

  public SyntheticBenchmark(SynthWorld world, Split split) {
    this.world = world;
    this.split = split;
  }

  /** One VQA question per conversation turn of every image in the split. */
  public List<VqaQuestion> vqaQuestions() {
    List<VqaQuestion> out = new ArrayList<>();
    for (int i = 0; i < world.size(split); i++) {
      SynthSample s = world.sample(split, i);
      for (int t = 0; t < s.conversation().size(); t++) {
        QaPair qa = s.conversation().get(t);
        out.add(new VqaQuestion(s.id() + "-q" + t, s.id(), qa.type().label(), qa.question(), qa.answer()));
      }
    }
    return out;
  }

  /** Every image of the split with its set of shapes. */
  public List<AnnotatedImage> annotatedImages() {
    List<AnnotatedImage> out = new ArrayList<>(world.size(split));
    for (int i = 0; i < world.size(split); i++) {
      SynthSample s = world.sample(split, i);
      Set<String> shapes = new TreeSet<>();
      for (Shape shape : s.scene().shapes()) shapes.add(shape.word());
      out.add(new AnnotatedImage(s.id(), shapes));
    }
    return out;
  }

  /** All shape names, for {@link ObjectStatistics#of}. */
  public static Set<String> categories() {
    Set<String> out = new TreeSet<>();
    for (Shape s : Shape.values()) out.add(s.word());
    return out;
  }

  /** Recognises shape names, singular and plural. */
  public static CaptionObjectParser captionParser() {
    Map<String, String> names = new HashMap<>();
    for (Shape s : Shape.values()) {
      names.put(s.word(), s.word());
      names.put(s.plural(), s.word());
    }
    return new CaptionObjectParser(names);
  }

  /** Image id to pixels, for the protocols. */
  public RgbImage image(String imageId) {
    long index = Long.parseLong(imageId.substring("synth-".length()));
    int first = (int) world.globalIndex(split, 0);
    return world.render(world.sample(split, (int) (index - first)).scene());
  }
}
