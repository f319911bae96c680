package org.moellava.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.model.EvalModel;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.serve.backend.ort.OrtBackend;
import org.moellava.serve.backend.ort.OrtOptions;
import org.moellava.text.Tokenizer;

/** An exported model package opened for evaluation and analysis on ONNX Runtime (CPU). */
public final class PackageModel implements EvalModel {
  private final Path dir;
  private final PackageManifest manifest;
  private final BackendInferenceModel runner;
  private final Tokenizer tokenizer;

  private PackageModel(Path dir, PackageManifest manifest, BackendInferenceModel runner, Tokenizer tokenizer) {
    this.dir = dir;
    this.manifest = manifest;
    this.runner = runner;
    this.tokenizer = tokenizer;
  }

  /** Opens {@code dir} (model.json, the three ONNX files and tokenizer.json when present). */
  public static PackageModel open(Path dir) {
    PackageManifest manifest = PackageManifestIO.read(dir);
    BackendInferenceModel runner = new BackendInferenceModel(OrtBackend.open(dir, OrtOptions.cpu()), manifest.config());
    Tokenizer tokenizer = null;
    try {
      String file = manifest.files().get("tokenizer");
      if (file != null && Files.isRegularFile(dir.resolve(file))) tokenizer = Tokenizer.load(dir.resolve(file));
    } catch (RuntimeException e) {
      runner.close();
      throw e;
    }
    return new PackageModel(dir, manifest, runner, tokenizer);
  }

  @Override
  public String name() {
    return dir.toString();
  }

  @Override
  public ModelConfig config() {
    return manifest.config();
  }

  @Override
  public BackendInferenceModel runner() {
    return runner;
  }

  @Override
  public Tokenizer tokenizer() {
    if (tokenizer == null) {
      throw new InvalidInputException(dir + ": the package has no tokenizer.json; this command needs it");
    }
    return tokenizer;
  }

  @Override
  public void close() {
    try {
      if (tokenizer != null) tokenizer.close();
    } finally {
      runner.close();
    }
  }
}
