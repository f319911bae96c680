package org.moellava.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.eval.model.OpenedModel;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.text.Tokenizer;

/** An exported model package opened for evaluation and analysis on ONNX Runtime (CPU). */
public final class PackageModel extends OpenedModel<BackendInferenceModel> {
  private PackageModel(Path dir, ModelConfig config, BackendInferenceModel runner, Tokenizer tokenizer) {
    super(dir, config, runner, tokenizer, dir.resolve("tokenizer.json"));
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
    return new PackageModel(dir, manifest.config(), runner, tokenizer);
  }
}
