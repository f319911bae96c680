package org.moellava.bench;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * This machine's memory read bandwidth, measured the way a batch-1 decode step reads its weights: every core sums
 * its share of an array far larger than the caches. Decode on a CPU is bound by this: each generated token reads
 * every activated weight once.
 */
public final class MemoryBandwidth {
  private static final int LONGS = 1 << 25; // 256 MiB

  private MemoryBandwidth() {}

  /** Best of {@code rounds} parallel read passes, in bytes per second. */
  public static double readBytesPerSecond(int rounds) {
    long[] data = new long[LONGS];
    Arrays.setAll(data, i -> i);
    int threads = Runtime.getRuntime().availableProcessors();
    int chunk = LONGS / threads;
    double best = 0;
    long sink = 0;
    for (int r = 0; r < rounds + 1; r++) { // the first pass warms up the JIT
      long t0 = System.nanoTime();
      sink += IntStream.range(0, threads).parallel().mapToLong(t -> sum(data, t * chunk, (t + 1) * chunk)).sum();
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (r > 0) best = Math.max(best, (double) LONGS * Long.BYTES / seconds);
    }
    if (sink == 42) System.out.print(""); // keeps the sums alive
    return best;
  }

  private static long sum(long[] data, int from, int to) {
    long s = 0;
    for (int i = from; i < to; i++) s += data[i];
    return s;
  }
}
