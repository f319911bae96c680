package org.moellava.train;

import org.moellava.data.Batch;
import org.moellava.data.DataLoader;
import org.moellava.data.Split;
import org.moellava.data.synth.PatchLabels;
import org.moellava.data.synth.Position;
import org.moellava.data.synth.Scene;
import org.moellava.data.synth.SynthObject;
import org.moellava.data.synth.SynthWorld;

/**
 * Micro-batches of the vision stage: images of the synthetic world's training split (order and pixels from a
 * {@link DataLoader} over its caption dataset) with each slot's and each patch's shape, colour and size (and each patch's slot) as targets
 * ({@link PatchLabels}).
 */
final class VisionData implements StageData {
  private final DataLoader loader;
  private final SynthWorld world;

  private final int grid;

  /** {@code grid}: patches per image side (the vision tower's {@code image_size / patch_size}). */
  VisionData(DataLoader loader, SynthWorld world, int grid) {
    this.loader = loader;
    this.world = world;
    this.grid = grid;
  }

  @Override
  public StageBatch batch(long index) {
    return batchOf(loader.indicesOf(index));
  }

  @Override
  public StageBatch shard(long index, int task, int tasks) {
    return batchOf(Shards.rows(loader.indicesOf(index), task, tasks));
  }

  private StageBatch batchOf(int[] indices) {
    Batch batch = loader.batchOf(indices);
    int slots = VisionPretrainGraph.SLOTS;
    int[] shapes = new int[indices.length * slots];
    int[] colours = new int[indices.length * slots];
    int[] sizes = new int[indices.length * slots];
    java.util.Arrays.fill(colours, -1);
    java.util.Arrays.fill(sizes, -1);
    int patches = grid * grid;
    int[] patchShapes = new int[indices.length * patches];
    int[] patchColours = new int[indices.length * patches];
    int[] patchSizes = new int[indices.length * patches];
    int[] patchPositions = new int[indices.length * patches];
    for (int b = 0; b < indices.length; b++) {
      Scene scene = world.sample(Split.TRAIN, indices[b]).scene();
      PatchLabels p = PatchLabels.of(scene, world.renderer(), grid);
      System.arraycopy(p.shapes(), 0, patchShapes, b * patches, patches);
      System.arraycopy(p.colours(), 0, patchColours, b * patches, patches);
      System.arraycopy(p.sizes(), 0, patchSizes, b * patches, patches);
      System.arraycopy(p.positions(), 0, patchPositions, b * patches, patches);
      for (SynthObject o : scene.objects()) {
        int at = b * slots + slotOf(o.position());
        shapes[at] = 1 + o.shape().ordinal();
        colours[at] = o.colour().ordinal();
        sizes[at] = o.size().ordinal();
      }
    }
    return new StageBatch(batch, new StageBatch.SlotLabels(shapes, colours, sizes, patchShapes, patchColours,
        patchSizes, patchPositions));
  }

  private static int slotOf(Position p) {
    return p.ordinal();
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
