package org.moellava.analysis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.io.AtomicFiles;

/**
 * Writes a routing analysis directory atomically: {@code routing.json} and the PNG figures are written into a
 * hidden staging directory, which is renamed into place only when complete.
 */
public final class RoutingOutput {
  /** The JSON report's file name. */
  public static final String JSON_FILE = "routing.json";

  private RoutingOutput() {}

  /** Writes the report and figures to {@code dir}, which must not exist yet. */
  public static void write(Path dir, RoutingStatistics stats, String model, String data) {
    if (Files.exists(dir)) {
      throw new InvalidInputException(dir + ": already exists; choose a new --out directory (nothing was written)");
    }
    String json = RoutingReport.toJson(stats, model, data);
    Map<String, byte[]> plots = RoutingPlots.render(stats);
    Path staging = AtomicFiles.stagingDirectoryFor(dir);
    try {
      AtomicFiles.writeString(staging.resolve(JSON_FILE), json);
      plots.forEach((name, bytes) -> AtomicFiles.write(staging.resolve(name), bytes));
      AtomicFiles.publishDirectory(staging, dir);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }
}
