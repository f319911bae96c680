package org.moellava.bench;

import java.nio.file.Path;
import java.util.Map;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.hf.HfExporter;
import org.moellava.tensor.TensorValue;
import org.moellava.io.AtomicFiles;

/**
 * A benchmark's scratch space: the benchmarked weights as a checkpoint in a temporary directory, and the model
 * packages exported from it. Everything is deleted on {@link #close()}.
 */
public final class BenchPackages implements AutoCloseable {
  private final Path work;
  private final Path checkpoint;

  /** Writes {@code weights} of {@code config} (drawn with {@code seed}) as a checkpoint under a fresh temp dir. */
  public BenchPackages(String name, ModelConfig config, Map<String, TensorValue> weights, long seed) {
    this.work = AtomicFiles.stagingDirectoryFor(Path.of(System.getProperty("java.io.tmpdir"), name));
    try {
      this.checkpoint = new CheckpointWriter().write(work.resolve("checkpoint"), config, null, weights,
          TrainingState.imported(seed));
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(work);
      throw e;
    }
  }

  /** Exports the checkpoint with {@code options} into {@code name} and returns the package directory. */
  public Path export(String name, ExportOptions options) {
    return new PackageExporter(options).export(checkpoint, work.resolve(name)).directory();
  }

  /** The scratch directory (deleted on close). */
  public Path directory() {
    return work;
  }

  /** Writes the checkpoint as a transformers LLaVA folder ({@code export hf}) into {@code name}. */
  public Path exportHf(String name) {
    return new HfExporter().export(checkpoint, work.resolve(name));
  }

  @Override
  public void close() {
    AtomicFiles.deleteRecursively(work);
  }
}
