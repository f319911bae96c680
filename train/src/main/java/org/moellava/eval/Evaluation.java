package org.moellava.eval;

import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/** Runs a suite of benchmarks and collects an {@link EvalReport}. */
public final class Evaluation {
  /** POPE positives (and negatives) per image, as in the POPE paper. */
  public static final int POPE_PER_IMAGE = 3;
  /** Seed of POPE's random negatives. */
  public static final long POPE_SEED = 0;

  private Evaluation() {}

  /** The suite on the synthetic world's split ({@code bench} already holds only the images to evaluate). */
  public static EvalReport synthetic(String model, SyntheticBenchmark bench, EvalSuite suite, BatchAnswerer answerer,
      ImageCaptioner captioner) {
    VqaResult vqa = suite.includes(EvalSuite.VQA) ? Protocols.vqa(answerer, bench.vqaQuestions(), bench::image) : null;
    Map<PopeSplit, BinaryMetrics> pope = null;
    List<AnnotatedImage> images = bench.annotatedImages();
    if (suite.includes(EvalSuite.POPE)) {
      PopeSampler sampler = new PopeSampler(ObjectStatistics.of(images, SyntheticBenchmark.categories()),
          POPE_PER_IMAGE, POPE_SEED, SyntheticBenchmark.POPE_FORMAT);
      pope = Protocols.pope(answerer, Protocols.popeQuestions(sampler, images), bench::image);
    }
    CaptionResult captions = suite.includes(EvalSuite.CAPTION)
        ? Protocols.captions(captioner, images, bench::image, SyntheticBenchmark.captionParser()) : null;
    return new EvalReport(model, vqa, pope, captions);
  }

  /** VQA on a LLaVA-format dataset; POPE and captions need object annotations and are refused. */
  public static EvalReport dataset(String model, DatasetBenchmark bench, EvalSuite suite, BatchAnswerer answerer) {
    if (suite == EvalSuite.POPE || suite == EvalSuite.CAPTION) {
      throw new InvalidInputException("--suite " + suite.name().toLowerCase(java.util.Locale.ROOT)
          + " needs object annotations, which only --data synth has; use --suite vqa with a dataset");
    }
    return new EvalReport(model, Protocols.vqa(answerer, bench.vqaQuestions(), bench::image), null, null);
  }
}
