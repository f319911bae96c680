package org.moellava.runtime;

import org.moellava.error.InvalidInputException;

/** Where a backend computes. */
public enum Device {
  CPU,
  CUDA;

  /** Parses {@code cpu} or {@code cuda}. */
  public static Device parse(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "cpu" -> CPU;
      case "cuda", "gpu" -> CUDA;
      default -> throw new InvalidInputException("unknown device '" + name + "' (cpu, cuda)");
    };
  }
}
