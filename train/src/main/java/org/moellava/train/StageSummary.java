package org.moellava.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a stage did, printed as one screen at its end.
 *
 * @param stage the stage
 * @param firstStep first optimiser step run in this process (0 unless resumed)
 * @param steps optimiser steps of the stage
 * @param trainedVariables variables trained
 * @param trainedParameters parameters trained
 * @param wallSeconds wall time of the steps run here, checkpoints included
 * @param tokensPerSecond training tokens per second over the steps run here
 * @param lossStart mean loss of the first (up to 10) steps run here
 * @param lossEnd mean loss of the last (up to 10) steps
 * @param extra stage-specific end figures (ce, aux, shape accuracy)
 * @param expertLoad per MoE layer, the fraction of routed assignments each expert computed over the steps run here
 * @param droppedFraction mean fraction of assignments dropped by capacity, per MoE layer
 * @param peakRssMb the process's peak resident memory so far
 * @param finalCheckpoint the stage's final checkpoint directory
 */
public record StageSummary(Stage stage, long firstStep, long steps, int trainedVariables, long trainedParameters,
    double wallSeconds, double tokensPerSecond, double lossStart, double lossEnd, Map<String, Double> extra,
    Map<String, double[]> expertLoad, Map<String, Double> droppedFraction, long peakRssMb, Path finalCheckpoint) {

  /** Prints the summary. */
  public void print(PrintStream out) {
    String rule = "-".repeat(72);
    out.println(rule);
    if (firstStep >= steps) { // resumed from a checkpoint of its last step: only the final checkpoint was missing
      out.printf(Locale.ROOT, "%s done: all %d steps had run before this resume; final checkpoint written%n",
          stage.label(), steps);
      out.println("  final checkpoint " + finalCheckpoint);
      out.println(rule);
      out.flush();
      return;
    }
    out.printf(Locale.ROOT, "%s done: steps %d..%d of %d run here, %d variables (%,d parameters) trained%n",
        stage.label(), firstStep + 1, steps, steps, trainedVariables, trainedParameters);
    out.printf(Locale.ROOT, "  wall %.1f s, %.0f tokens/s, peak RSS %d MB%n", wallSeconds, tokensPerSecond, peakRssMb);
    out.printf(Locale.ROOT, "  loss %.4f -> %.4f (mean of first / last 10 steps)%n", lossStart, lossEnd);
    for (Map.Entry<String, Double> e : extra.entrySet()) {
      out.printf(Locale.ROOT, "  %s %.4f%n", e.getKey(), e.getValue());
    }
    for (Map.Entry<String, double[]> e : expertLoad.entrySet()) {
      List<String> shares = Arrays.stream(e.getValue()).mapToObj(v -> String.format(Locale.ROOT, "%.1f%%", 100 * v))
          .toList();
      out.printf(Locale.ROOT, "  layer %s expert load %s, dropped %.2f%%%n", e.getKey(), String.join(" ", shares),
          100 * droppedFraction.getOrDefault(e.getKey(), 0.0));
    }
    out.println("  final checkpoint " + finalCheckpoint);
    out.println(rule);
    out.flush();
  }

  /** Peak resident set size of this process in MB (VmHWM), or -1 where /proc is unavailable. */
  public static long currentPeakRssMb() {
    return procStatusMb("VmHWM:");
  }

  /** Resident set size of this process in MB (VmRSS), or -1 where /proc is unavailable. */
  public static long currentRssMb() {
    return procStatusMb("VmRSS:");
  }

  private static long procStatusMb(String key) {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
