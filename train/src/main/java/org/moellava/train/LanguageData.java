package org.moellava.train;

import org.moellava.data.DataLoader;

/** Caption or instruction micro-batches of the language stages, from a {@link DataLoader}. */
final class LanguageData implements StageData {
  private final DataLoader loader;

  LanguageData(DataLoader loader) {
    this.loader = loader;
  }

  @Override
  public StageBatch batch(long index) {
    return new StageBatch(loader.batch(index), null);
  }

  @Override
  public StageBatch shard(long index, int task, int tasks) {
    return new StageBatch(loader.batchOf(Shards.rows(loader.indicesOf(index), task, tasks)), null);
  }

  @Override
  public int batchSize() {
    return loader.batchSize();
  }

  @Override
  public void close() {
    loader.close();
  }
}
