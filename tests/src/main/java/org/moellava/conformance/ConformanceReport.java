package org.moellava.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.moellava.io.AtomicFiles;
import org.moellava.runtime.conformance.Tolerance;

/**
 * The suite's result: one {@link PairReport} per backend compared with the reference, as JSON and as a table.
 *
 * @param tolerance the thresholds used
 * @param cases the case ids
 * @param pairs per backend pair
 * @param batchInvariance per backend and mode: a request alone vs in a batch through the serving engine
 */
public record ConformanceReport(Tolerance tolerance, List<String> cases, List<PairReport> pairs,
    List<BatchInvariance.Result> batchInvariance) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ConformanceReport {
    cases = List.copyOf(cases);
    pairs = List.copyOf(pairs);
    batchInvariance = List.copyOf(batchInvariance);
  }

  /**
   * True when no pair failed (skipped pairs do not fail, and do not pass either) and every backend was batch
   * invariant in deterministic mode.
   */
  public boolean passed() {
    return pairs.stream().noneMatch(PairReport::failed)
        && batchInvariance.stream().noneMatch(BatchInvariance.Result::failed);
  }

  /** Exit code of {@code moellava conformance}: 0 when passed, 1 on any failure. */
  public int exitCode() {
    return passed() ? 0 : 1;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the conformance report", e);
    }
  }

  /** Writes the JSON report atomically. */
  public void write(Path file) {
    AtomicFiles.writeString(file, toJson());
  }

  /** A readable table: per pair, max errors, routing agreement, near-tie flips, greedy equality. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-24s %-8s %10s %10s %10s %9s %9s %6s %7s%n", "pair", "status",
        "feat.rel", "logit.abs", "logit.rel", "route.agr", "near-tie", "hard", "greedy"));
    for (PairReport p : pairs) {
      String name = p.backend() + " vs " + p.reference();
      if (p.status().equals("skipped")) {
        sb.append(String.format(Locale.ROOT, "%-24s skipped: %s%n", name, p.reason()));
        continue;
      }
      sb.append(String.format(Locale.ROOT, "%-24s %-8s %10.2e %10.2e %10.2e %8.2f%% %9d %6d %7s%n", name, p.status(),
          p.imageFeatures().maxRel(), p.logits().maxAbs(), p.logits().maxRel(), p.routingAgreement(),
          p.nearTieFlips(), p.hardFlips(), p.greedyEqual() ? "equal" : "DIFFER"));
      if (p.failed()) sb.append("  ").append(p.reason()).append('\n');
    }
    if (!batchInvariance.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%nbatch invariance (%d requests alone vs together, greedy):%n",
          batchInvariance.get(0).requests()));
      sb.append(String.format(Locale.ROOT, "%-14s %-13s %11s %13s %15s %9s %s%n", "backend", "mode", "tokens.diff",
          "experts.diff", "logprob.absdiff", "max.batch", "result"));
      for (BatchInvariance.Result r : batchInvariance) {
        sb.append(String.format(Locale.ROOT, "%-14s %-13s %11d %13d %15.2e %9d %s%n", r.backend(),
            r.deterministic() ? "deterministic" : "batched", r.tokenMismatches(), r.expertMismatches(),
            r.maxLogprobDiff(), r.largestBatch(), r.identical() ? "identical" : r.failed() ? "FAILED" : "differs"));
      }
    }
    sb.append(passed() ? "conformance: passed\n" : "conformance: FAILED\n");
    return sb.toString();
  }
}
