package org.moellava.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.moellava.error.MoeLlavaException;
import org.moellava.runtime.Backend;
import org.moellava.runtime.conformance.Tolerance;

/**
 * Runs every case on a reference backend (TensorFlow) and on each candidate, and compares them; then checks each
 * backend's batch invariance through the serving engine ({@link BatchInvariance}). A library: point it at any
 * checkpoint and package through {@link Backend}s.
 */
public final class ConformanceSuite {
  /**
   * A backend to compare, opened lazily so one that cannot run here is reported as skipped with its reason.
   *
   * @param name the name in the report ({@code ort-cpu}, {@code ort-fused}, {@code trt}, ...)
   * @param open opens the backend; throws {@link MoeLlavaException} with a one-line reason when it cannot run
   */
  public record Candidate(String name, Supplier<Backend> open) {}

  private ConformanceSuite() {}

  /** Runs {@code cases} on the reference and every candidate. */
  public static ConformanceReport run(String referenceName, Backend reference, List<Candidate> candidates,
      List<ConformanceCase> cases, Tolerance tolerance) {
    List<BackendTrace> refTraces = new ArrayList<>();
    for (ConformanceCase c : cases) refTraces.add(TraceRunner.run(reference, c, null));
    List<PairReport> pairs = new ArrayList<>();
    List<BatchInvariance.Result> invariance = new ArrayList<>(BatchInvariance.check(referenceName, reference));
    for (Candidate candidate : candidates) {
      Backend backend;
      try {
        backend = candidate.open().get();
      } catch (MoeLlavaException e) {
        pairs.add(PairReport.skipped(referenceName, candidate.name(), e.getMessage()));
        continue;
      }
      try (backend) {
        PairComparison cmp = new PairComparison(referenceName, candidate.name(), reference.info(), tolerance);
        for (int i = 0; i < cases.size(); i++) {
          ConformanceCase c = cases.get(i);
          BackendTrace ref = refTraces.get(i);
          cmp.add(c, ref, TraceRunner.run(backend, c, ref.tokens()));
        }
        pairs.add(cmp.report());
        invariance.addAll(BatchInvariance.check(candidate.name(), backend));
      }
    }
    return new ConformanceReport(tolerance, cases.stream().map(ConformanceCase::id).toList(), pairs, invariance);
  }
}
