package org.moellava.train;

import java.util.Arrays;

/** How a global micro-batch's rows are split among the workers of a distributed run. */
final class Shards {
  private Shards() {}

  /** Rows {@code [task·B/tasks, (task+1)·B/tasks)} of {@code indices}; B must be a multiple of {@code tasks}. */
  static int[] rows(int[] indices, int task, int tasks) {
    if (indices.length % tasks != 0) {
      throw new IllegalStateException("a micro-batch of " + indices.length + " rows cannot be split among " + tasks
          + " workers");
    }
    int per = indices.length / tasks;
    return Arrays.copyOfRange(indices, task * per, (task + 1) * per);
  }
}
