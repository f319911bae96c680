package org.moellava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.moellava.conformance.ConformanceReport;
import org.moellava.conformance.PairReport;
import org.moellava.eval.BinaryMetrics;
import org.moellava.eval.EvalReport;
import org.moellava.eval.PopeSplit;

/**
 * Every figure of the demo: per-step wall seconds, per model (dense stage II, MoE stage III) the quality
 * metrics, and the conformance result. Serialised as {@code summary.json} and rendered into {@code report.md} and
 * the printed table.
 */
final class DemoSummary {
  /** The quality floors of the full-length demo, on the MoE model. */
  static final double VQA_FLOOR = 0.85;
  static final double POPE_F1_FLOOR = 0.85;
  static final double YES_RATIO_MIN = 0.35;
  static final double YES_RATIO_MAX = 0.65;
  static final double CAPTION_F1_FLOOR = 0.80;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  final Map<String, Double> stepSeconds = new LinkedHashMap<>();
  final Map<String, EvalReport> models = new LinkedHashMap<>();
  ConformanceReport conformance;
  boolean quick;

  /** The metrics of one model, with the summary's key names. */
  static Map<String, Object> metrics(EvalReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("vqa_accuracy", r.vqa().overall().value());
    Map<String, Object> pope = new LinkedHashMap<>();
    for (PopeSplit split : PopeSplit.values()) {
      BinaryMetrics b = r.pope().get(split);
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("accuracy", b.accuracy());
      s.put("precision", b.precision());
      s.put("recall", b.recall());
      s.put("f1", b.f1());
      s.put("yes_ratio", b.yesRatio());
      pope.put(split.label(), s);
    }
    m.put("pope", pope);
    m.put("caption_object_f1", r.captions().f1());
    m.put("caption_chair_i", r.captions().chairInstance());
    return m;
  }

  /** Whether the MoE model meets every quality floor. */
  boolean floorsMet() {
    EvalReport moe = models.get("moe");
    if (moe == null) return false;
    if (moe.vqa().overall().value() < VQA_FLOOR || moe.captions().f1() < CAPTION_F1_FLOOR) return false;
    for (BinaryMetrics b : moe.pope().values()) {
      if (b.f1() < POPE_F1_FLOOR || b.yesRatio() < YES_RATIO_MIN || b.yesRatio() > YES_RATIO_MAX) return false;
    }
    return true;
  }

  /** Wall seconds of all steps. */
  private double totalSeconds() {
    return stepSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  String toJson() throws com.fasterxml.jackson.core.JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    root.put("quick", quick);
    ObjectNode steps = root.putObject("steps_seconds");
    stepSeconds.forEach(steps::put);
    root.put("total_seconds", totalSeconds());
    ObjectNode ms = root.putObject("models");
    models.forEach((name, r) -> ms.set(name, JSON.valueToTree(metrics(r))));
    if (conformance != null) root.set("conformance", JSON.valueToTree(conformance));
    root.put("quality_floors_met", floorsMet());
    return JSON.writeValueAsString(root) + "\n";
  }

  /** The printed summary table. */
  String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-28s %10s%n", "step", "seconds"));
    stepSeconds.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-28s %10.1f%n", k, v)));
    sb.append(String.format(Locale.ROOT, "%-28s %10.1f%n%n", "total", totalSeconds()));
    sb.append(String.format(Locale.ROOT, "%-34s %10s %10s%n", "metric (held-out test split)", "dense", "moe"));
    row(sb, "VQA accuracy", r -> r.vqa().overall().value());
    for (PopeSplit split : PopeSplit.values()) {
      row(sb, "POPE " + split.label() + " F1", r -> r.pope().get(split).f1());
      row(sb, "POPE " + split.label() + " accuracy", r -> r.pope().get(split).accuracy());
      row(sb, "POPE " + split.label() + " yes-ratio", r -> r.pope().get(split).yesRatio());
    }
    row(sb, "caption object F1", r -> r.captions().f1());
    row(sb, "caption CHAIR_i", r -> r.captions().chairInstance());
    if (conformance != null) {
      for (PairReport p : conformance.pairs()) {
        sb.append(String.format(Locale.ROOT, "%nconformance %s vs %s: %s%s", p.backend(), p.reference(), p.status(),
            p.status().equals("skipped") ? " (" + p.reason() + ")" : String.format(Locale.ROOT,
                " (logits max rel %.2e, routing agreement %.2f%%, near-tie flips %d, greedy %s)", p.logits().maxRel(),
                p.routingAgreement(), p.nearTieFlips(), p.greedyEqual() ? "equal" : "differs")));
      }
      sb.append('\n');
    }
    if (!quick) {
      sb.append(floorsMet() ? "quality floors: met\n" : "quality floors: MISSED (see report.md)\n");
    }
    return sb.toString();
  }

  private void row(StringBuilder sb, String name, java.util.function.ToDoubleFunction<EvalReport> f) {
    EvalReport dense = models.get("dense");
    EvalReport moe = models.get("moe");
    sb.append(String.format(Locale.ROOT, "%-34s %10s %10s%n", name, dense == null ? "-" : fmt(f.applyAsDouble(dense)),
        moe == null ? "-" : fmt(f.applyAsDouble(moe))));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
