package org.moellava.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Evaluation results as JSON and as a markdown table. Any part may be null (not evaluated).
 *
 * @param model name of the evaluated model or checkpoint
 * @param vqa VQA accuracy
 * @param pope POPE metrics per split
 * @param captions caption object metrics
 */
public record EvalReport(String model, VqaResult vqa, Map<PopeSplit, BinaryMetrics> pope, CaptionResult captions) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The report as a JSON tree. */
  public ObjectNode toJsonTree() {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", model);
    if (vqa != null) {
      ObjectNode v = root.putObject("vqa");
      v.put("accuracy", vqa.overall().value());
      v.put("correct", vqa.overall().correct());
      v.put("total", vqa.overall().total());
      ObjectNode types = v.putObject("per_type");
      vqa.perType().forEach((type, acc) -> {
        ObjectNode t = types.putObject(type);
        t.put("accuracy", acc.value());
        t.put("correct", acc.correct());
        t.put("total", acc.total());
      });
    }
    if (pope != null) {
      ObjectNode p = root.putObject("pope");
      new TreeMap<>(pope).forEach((split, m) -> {
        ObjectNode s = p.putObject(split.label());
        s.put("accuracy", m.accuracy());
        s.put("precision", m.precision());
        s.put("recall", m.recall());
        s.put("f1", m.f1());
        s.put("yes_ratio", m.yesRatio());
        s.put("total", m.total());
        s.put("unknown", m.unknown());
      });
    }
    if (captions != null) {
      ObjectNode c = root.putObject("captions");
      c.put("precision", captions.precision());
      c.put("recall", captions.recall());
      c.put("f1", captions.f1());
      c.put("chair_i", captions.chairInstance());
      c.put("chair_s", captions.chairSentence());
      c.put("captions", captions.captions());
    }
    return root;
  }

  /** The report as pretty-printed JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toJsonTree());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("report serialisation failed", e);
    }
  }

  /** The report as markdown tables (percentages with one decimal). */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder("## Evaluation: ").append(model).append("\n");
    if (vqa != null) {
      sb.append("\n| VQA question type | accuracy | correct / total |\n|---|---:|---:|\n");
      vqa.perType().forEach((type, acc) -> row(sb, type, acc));
      row(sb, "**all**", vqa.overall());
    }
    if (pope != null) {
      sb.append("\n| POPE split | accuracy | precision | recall | F1 | yes ratio | questions |\n")
          .append("|---|---:|---:|---:|---:|---:|---:|\n");
      new TreeMap<>(pope).forEach((split, m) -> sb.append("| ").append(split.label()).append(" | ")
          .append(pct(m.accuracy())).append(" | ").append(pct(m.precision())).append(" | ")
          .append(pct(m.recall())).append(" | ").append(pct(m.f1())).append(" | ")
          .append(pct(m.yesRatio())).append(" | ").append(m.total()).append(" |\n"));
    }
    if (captions != null) {
      sb.append("\n| captions | precision | recall | F1 | CHAIR_i | CHAIR_s |\n|---|---:|---:|---:|---:|---:|\n")
          .append("| ").append(captions.captions()).append(" | ").append(pct(captions.precision())).append(" | ")
          .append(pct(captions.recall())).append(" | ").append(pct(captions.f1())).append(" | ")
          .append(pct(captions.chairInstance())).append(" | ").append(pct(captions.chairSentence())).append(" |\n");
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, Accuracy acc) {
    sb.append("| ").append(name).append(" | ").append(pct(acc.value())).append(" | ")
        .append(acc.correct()).append(" / ").append(acc.total()).append(" |\n");
  }

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f", 100 * v);
  }
}
