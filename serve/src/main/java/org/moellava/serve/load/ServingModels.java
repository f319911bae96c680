package org.moellava.serve.load;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.checkpoint.CheckpointFiles;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImagePreprocessor;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.adapters.TokenizerAdapter;
import org.moellava.runtime.Backend;
import org.moellava.runtime.Device;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.runtime.trt.TrtBackend;
import org.moellava.text.Tokenizer;

/**
 * Opens a {@link ServingModel} from a model package ({@code ort}, {@code trt}) or a checkpoint ({@code tf}).
 * The tokenizer is {@code tokenizer.json} next to the model; a model without one fails with a one-line error
 * unless {@code idsOnly} is set. Every failure is a typed one-line error that names the file or setting at fault
 * in library terms (no command-line flags: callers such as the CLI add their own wording), and nothing stays open
 * after one.
 */
public final class ServingModels {
  private ServingModels() {}

  /**
   * What to open.
   *
   * @param packageDir a model package, or null
   * @param checkpointDir a checkpoint, or null (exactly one of the two)
   * @param backend the backend, or null for the default (ort on a package, tf on a checkpoint)
   * @param ort ONNX Runtime settings (device, providers)
   * @param idsOnly accept a model without tokenizer: prompts are token ids
   */
  public record Request(Path packageDir, Path checkpointDir, BackendKind backend, OrtOptions ort, boolean idsOnly) {
    public Request {
      if ((packageDir == null) == (checkpointDir == null)) {
        throw new InvalidInputException("open either a model package or a checkpoint, not "
            + (packageDir == null ? "neither" : "both"));
      }
    }

    /** The backend that will run: the given one or the source's default. */
    public BackendKind effectiveBackend() {
      return backend != null ? backend : packageDir != null ? BackendKind.ORT : BackendKind.TF;
    }
  }

  /** Opens the model described by {@code request}. */
  public static ServingModel open(Request request) {
    BackendKind kind = request.effectiveBackend();
    if (kind == BackendKind.TF) {
      if (request.checkpointDir() == null) {
        throw new InvalidInputException(request.packageDir() + ": the TensorFlow backend runs a training "
            + "checkpoint, not a model package");
      }
      if (request.ort().device() != Device.CPU) {
        throw new InvalidInputException("device " + request.ort().device() + " is for ONNX Runtime; the "
            + "TensorFlow backend runs on the device its native library was built for");
      }
      return fromCheckpoint(request.checkpointDir(), request.idsOnly());
    }
    if (request.packageDir() == null) {
      throw new InvalidInputException(request.checkpointDir() + ": the " + (kind == BackendKind.TRT ? "TensorRT"
          : "ONNX Runtime") + " backend runs a model package (moellava export), not a training checkpoint");
    }
    return fromPackage(request.packageDir(), kind, request.ort(), request.idsOnly());
  }

  private static ServingModel fromCheckpoint(Path dir, boolean idsOnly) {
    ModelConfig config = org.moellava.checkpoint.CheckpointReader.open(dir).config();
    Path tokenizerFile = dir.resolve(CheckpointFiles.TOKENIZER);
    Tokenizer tokenizer = loadTokenizer(tokenizerFile, idsOnly);
    try {
      Backend backend = TfBackend.fromCheckpoint(dir);
      return assemble(backend, tokenizer, ImagePreprocessor.fromConfig(config), config.systemPrompt());
    } catch (RuntimeException e) {
      if (tokenizer != null) tokenizer.close();
      throw e;
    }
  }

  private static ServingModel fromPackage(Path dir, BackendKind kind, OrtOptions ort, boolean idsOnly) {
    // the backend first: an unavailable runtime or provider is reported before anything about the package
    Backend backend = kind == BackendKind.TRT ? TrtBackend.open(dir) : OrtBackend.open(dir, ort);
    try {
      PackageManifest m = PackageManifestIO.read(dir);
      Path tokenizerFile = dir.resolve(m.files().getOrDefault("tokenizer", CheckpointFiles.TOKENIZER));
      Tokenizer tokenizer = loadTokenizer(tokenizerFile, idsOnly);
      ImagePreprocessor pre = new ImagePreprocessor(m.imageSize(), m.imageMean(), m.imageStd(),
          ImagePreprocessor.AspectMode.parse(m.imageAspectMode()));
      return assemble(backend, tokenizer, pre, m.systemPrompt());
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  private static Tokenizer loadTokenizer(Path file, boolean idsOnly) {
    if (Files.isRegularFile(file)) return Tokenizer.load(file);
    if (idsOnly) return null;
    throw new InvalidInputException(file + ": not found; this model has no tokenizer (imported without "
        + "tokenizer.json?): copy the model's tokenizer.json there, or open it in ids-only mode");
  }

  private static ServingModel assemble(Backend backend, Tokenizer tokenizer, ImagePreprocessor pre, String system) {
    if (tokenizer == null) {
      IdsOnlyTokenizer ids = new IdsOnlyTokenizer(backend.info().vocabSize());
      return new ServingModel(backend, ids, ids, pre, system, true, null);
    }
    TokenizerAdapter adapter = new TokenizerAdapter(tokenizer);
    return new ServingModel(backend, adapter, adapter, pre, system, false, adapter);
  }
}
