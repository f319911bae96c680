package org.moellava.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.io.AtomicFiles;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.safetensors.SafetensorsWriter;

/**
 * Exports a project checkpoint as a Hugging Face folder that {@code LlavaForConditionalGeneration
 * .from_pretrained} loads: {@code config.json}, {@code generation_config.json}, {@code model.safetensors}
 * (per-expert keys, plus the zero-size shared expert and its gate as {@code save_pretrained} writes them) and
 * {@code tokenizer.json} when the checkpoint has one. The folder is written atomically.
 */
public final class HfExporter {

  /** Exports the checkpoint in {@code checkpointDir} to {@code target}. */
  public Path export(Path checkpointDir, Path target) {
    CheckpointReader reader = CheckpointReader.open(checkpointDir);
    ModelConfig config = reader.config();
    List<HfWeightMapping.Resolved> rules = HfWeightMapping.resolve(config);
    List<String> names = rules.stream().map(HfWeightMapping.Resolved::projectName).toList();
    Map<String, TensorValue> variables = reader.readVariables(names);
    Map<String, TensorValue> inert = new LinkedHashMap<>();
    Path inertFile = checkpointDir.resolve(HfImporter.INERT_FILE);
    if (Files.isRegularFile(inertFile)) {
      try (SafetensorsFile f = SafetensorsFile.open(inertFile)) {
        for (String key : f.names()) inert.put(key, f.readFloat(key));
      }
    }
    return export(config, variables, inert, reader.tokenizerJson().orElse(null), target);
  }

  /**
   * Exports variables held in memory.
   *
   * @param inert values for {@link HfWeightMapping#INERT} tensors by Hugging Face key; missing ones are zeros
   * @param tokenizerJson bytes of {@code tokenizer.json}, or null
   */
  public Path export(ModelConfig config, Map<String, TensorValue> variables, Map<String, TensorValue> inert,
      byte[] tokenizerJson, Path target) {
    SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
    for (HfWeightMapping.Resolved r : HfWeightMapping.resolve(config)) {
      TensorValue value = variables.get(r.projectName());
      if (value == null) {
        throw new InvalidInputException("missing variable '" + r.projectName() + "' needed for "
            + r.hfKeys().get(0));
      }
      if (!Arrays.equals(value.shape(), r.projectShape())) {
        throw new InvalidInputException("variable '" + r.projectName() + "' has shape "
            + Arrays.toString(value.shape()) + " but the config needs " + Arrays.toString(r.projectShape()));
      }
      List<TensorValue> hf = r.transform().toHf(value);
      for (int i = 0; i < hf.size(); i++) weights.addFloat(r.hfKeys().get(i), hf.get(i));
    }
    for (HfWeightMapping.Resolved r : HfWeightMapping.resolveInert(config)) {
      String key = r.hfKeys().get(0);
      TensorValue kept = inert.get(key);
      if (kept != null && !Arrays.equals(kept.shape(), r.hfShape())) {
        throw new InvalidInputException(HfImporter.INERT_FILE + ": tensor '" + key + "' has shape "
            + Arrays.toString(kept.shape()) + " but the config needs " + Arrays.toString(r.hfShape()));
      }
      long n = Arrays.stream(r.hfShape()).reduce(1, (a, b) -> a * b);
      weights.addFloat(key, kept != null ? kept : new TensorValue(r.hfShape(), new float[(int) n]));
    }

    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      Files.writeString(staging.resolve(HfConfigReader.CONFIG), HfConfigWriter.pretty(HfConfigWriter.toJson(config)));
      Files.writeString(staging.resolve("generation_config.json"),
          HfConfigWriter.pretty(HfConfigWriter.generationConfig()));
      weights.write(staging.resolve(HfWeightFiles.SINGLE));
      if (tokenizerJson != null) Files.write(staging.resolve(HfImporter.TOKENIZER), tokenizerJson);
      AtomicFiles.publishDirectory(staging, target);
      return target;
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(target + ": cannot write the Hugging Face folder: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }
}
