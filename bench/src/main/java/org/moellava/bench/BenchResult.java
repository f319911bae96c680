package org.moellava.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.moellava.io.AtomicFiles;

/**
 * The result of one benchmark: measured figures, and ratios of variants measured side by side, each with its
 * target when the project has one.
 *
 * @param suite the benchmark ({@code moe}, {@code kv}, ...)
 * @param machine where it ran: cores, memory, JVM
 * @param figures measured values
 * @param ratios comparisons
 * @param notes what was skipped and why, or what did not match; printed under the table
 */
public record BenchResult(String suite, String machine, List<Figure> figures, List<Ratio> ratios, List<String> notes) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public BenchResult {
    figures = List.copyOf(figures);
    ratios = List.copyOf(ratios);
    notes = List.copyOf(notes);
  }

  /** A result without notes. */
  public BenchResult(String suite, String machine, List<Figure> figures, List<Ratio> ratios) {
    this(suite, machine, figures, ratios, List.of());
  }

  /**
   * One measured value.
   *
   * @param name what was measured
   * @param value the median
   * @param unit its unit
   */
  public record Figure(String name, double value, String unit) {}

  /**
   * {@code numerator / denominator} of two figures.
   *
   * @param name what the ratio compares
   * @param value the ratio
   * @param target the bound it must meet, or NaN when there is none
   * @param atMost whether the target is an upper bound (else a lower bound)
   */
  public record Ratio(String name, double value, double target, boolean atMost) {
    /** Whether the target is met (true when there is none). */
    public boolean met() {
      return Double.isNaN(target) || (atMost ? value <= target : value >= target);
    }
  }

  /** This machine, for the report. */
  public static String thisMachine() {
    Runtime rt = Runtime.getRuntime();
    return String.format(Locale.ROOT, "%d cores, %.0f GiB max heap, Java %s, %s %s", rt.availableProcessors(),
        rt.maxMemory() / (1024.0 * 1024 * 1024), System.getProperty("java.version"), System.getProperty("os.name"),
        System.getProperty("os.arch"));
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the benchmark result", e);
    }
  }

  /** Writes the JSON result atomically. */
  public void write(Path file) {
    AtomicFiles.writeString(file, toJson());
  }

  /** A readable table. */
  public String table() {
    StringBuilder sb = new StringBuilder("bench " + suite + " (" + machine + ")\n");
    for (Figure f : figures) sb.append(String.format(Locale.ROOT, "  %-58s %12.3f %s%n", f.name(), f.value(), f.unit()));
    for (Ratio r : ratios) {
      String target = Double.isNaN(r.target()) ? "" : String.format(Locale.ROOT, "  target %s %.2f: %s",
          r.atMost() ? "<=" : ">=", r.target(), r.met() ? "met" : "MISSED");
      sb.append(String.format(Locale.ROOT, "  %-58s %12.3f%s%n", r.name(), r.value(), target));
    }
    for (String n : notes) sb.append("  note: ").append(n).append('\n');
    return sb.toString();
  }
}
