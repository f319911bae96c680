package org.moellava.train;

/** The micro-batches of a stage; {@link #batch} is a pure function of the run seed and the index. */
public interface StageData extends AutoCloseable {
  /** Micro-batch number {@code index} of the stage's data order (optimiser step s uses s*accum .. s*accum+accum-1). */
  StageBatch batch(long index);

  /** Rows per micro-batch. */
  int batchSize();

  @Override
  void close();
}
