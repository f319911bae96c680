package org.moellava.train;

/** The micro-batches of a stage; {@link #batch} is a pure function of the run seed and the index. */
public interface StageData extends AutoCloseable {
  /** Micro-batch number {@code index} of the stage's data order (optimiser step s uses s*accum .. s*accum+accum-1). */
  StageBatch batch(long index);

  /**
   * Task {@code task}'s share of micro-batch {@code index} when {@code tasks} workers split it: rows
   * {@code [task·B/tasks, (task+1)·B/tasks)} of the global micro-batch's row order (B must divide by tasks). A pure
   * function of (seed, stage, index, task), so a resumed distributed run sees the same data.
   */
  StageBatch shard(long index, int task, int tasks);

  /** Rows per micro-batch. */
  int batchSize();

  @Override
  void close();
}
