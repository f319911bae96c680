package org.moellava.eval.model;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.pkg.PackageManifest;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.text.Tokenizer;

/** An exported model package opened for evaluation and analysis on ONNX Runtime (CPU). */
public final class PackageModel extends OpenedModel<OrtBackend> {
  private PackageModel(Path dir, PackageManifest manifest, OrtBackend backend, Tokenizer tokenizer) {
    super(dir, manifest.config(), backend, tokenizer, dir.resolve("tokenizer.json"));
  }

  /** Opens {@code dir} (model.json, the three ONNX files and tokenizer.json when present). */
  public static PackageModel open(Path dir) {
    OrtBackend backend = OrtBackend.open(dir, OrtOptions.cpu());
    PackageManifest manifest = backend.manifest();
    Tokenizer tokenizer = null;
    try {
      String file = manifest.files().get("tokenizer");
      if (file != null && Files.isRegularFile(dir.resolve(file))) tokenizer = Tokenizer.load(dir.resolve(file));
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    return new PackageModel(dir, manifest, backend, tokenizer);
  }
}
