package org.moellava.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.io.AtomicFiles;
import org.moellava.safetensors.SafetensorsDType;
import org.moellava.safetensors.SafetensorsStreamWriter;
import org.moellava.safetensors.SafetensorsWriter;
import org.moellava.tensor.TensorValue;

/**
 * Exports a project checkpoint of a MoE-LLaVA family (decoder_style stablelm, phi or qwen) as the published
 * MoE-LLaVA layout ({@link MoeLlavaWeightMapping}): {@code config.json}, the weights, the tokenizer files. A checkpoint
 * imported by {@link MoeLlavaImporter} is written back as it came ({@link MoeLlavaSource}): the same config.json, each
 * tensor in its original dtype and file (shards and index alike), the same tokenizer files, the tower only if the
 * checkpoint had it; so an import followed by an export reproduces every tensor bit for bit. Any other checkpoint is
 * written as one F32 {@code model.safetensors} with the tower, and its {@code tokenizer.json}. The folder is written
 * atomically.
 */
public final class MoeLlavaExporter {

  /** Exports the checkpoint in {@code checkpointDir} to the new folder {@code target}. */
  public Path export(Path checkpointDir, Path target) {
    if (Files.exists(target)) {
      throw new InvalidInputException(target + ": already exists; choose a new --out directory (nothing was written)");
    }
    CheckpointReader reader = CheckpointReader.open(checkpointDir);
    ModelConfig config = reader.config();
    MoeLlavaFamily family = MoeLlavaFamily.ofStyle(config.textConfig().decoderStyle());
    if (family == null) {
      throw new InvalidInputException(checkpointDir + ": text_config.decoder_style \""
          + config.textConfig().decoderStyle() + "\" is not a MoE-LLaVA family (stablelm, phi, qwen); use "
          + "'moellava export hf' for qwen2_moe");
    }
    MoeLlavaSource source = reader.extraFile(MoeLlavaSource.FILE)
        .map(b -> MoeLlavaSource.parse(b, checkpointDir.resolve(MoeLlavaSource.FILE).toString()))
        .filter(s -> s.family().equals(family.modelType())).orElse(null);
    List<MoeLlavaWeightMapping.Resolved> rules = MoeLlavaWeightMapping.resolve(family, config);
    boolean withTower = source == null || source.towerInCheckpoint();
    List<String> names = rules.stream()
        .filter(r -> withTower || !MoeLlavaWeightMapping.isTowerKey(family, r.hfKeys().get(0)))
        .map(MoeLlavaWeightMapping.Resolved::projectName).distinct().toList();
    Map<String, TensorValue> variables = reader.readVariables(names);

    Map<String, byte[]> tokenizerFiles = new LinkedHashMap<>();
    if (source != null) {
      for (String name : source.tokenizerFiles()) {
        Optional<byte[]> kept = reader.extraFile(MoeLlavaSource.TOKENIZER_PREFIX + name);
        kept.ifPresent(b -> tokenizerFiles.put(name, b));
      }
    }
    if (tokenizerFiles.isEmpty()) reader.tokenizerJson().ifPresent(b -> tokenizerFiles.put(HfImporter.TOKENIZER, b));
    return write(family, config, variables, rules, withTower, source, tokenizerFiles, target);
  }

  private static Path write(MoeLlavaFamily family, ModelConfig config, Map<String, TensorValue> variables,
      List<MoeLlavaWeightMapping.Resolved> rules, boolean withTower, MoeLlavaSource source,
      Map<String, byte[]> tokenizerFiles, Path target) {
    Map<String, TensorValue> tensors = new LinkedHashMap<>(); // checkpoint key -> value
    forEachHfTensor(family, rules, withTower, variables::get, tensors::put);

    Map<String, SafetensorsWriter> files = new TreeMap<>();
    Map<String, String> weightMap = new TreeMap<>();
    long totalBytes = 0;
    boolean sharded = source != null && source.sharded();
    String defaultFile = sharded ? source.files().values().iterator().next() : HfWeightFiles.SINGLE;
    for (Map.Entry<String, TensorValue> e : tensors.entrySet()) {
      String key = e.getKey();
      String file = source != null && source.files().containsKey(key) ? source.files().get(key) : defaultFile;
      SafetensorsDType dtype = source != null && source.dtypes().containsKey(key)
          ? SafetensorsDType.valueOf(source.dtypes().get(key)) : SafetensorsDType.F32;
      Map<String, String> metadata = source != null && source.fileMetadata().containsKey(file)
          ? source.fileMetadata().get(file) : MoeLlavaConfigWriter.defaultMetadata();
      files.computeIfAbsent(file, f -> {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        return w;
      }).addFloat(key, e.getValue(), dtype);
      weightMap.put(key, file);
      totalBytes += e.getValue().data().length * (long) dtype.bytesPerElement();
    }

    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      Files.writeString(staging.resolve(HfConfigReader.CONFIG),
          MoeLlavaConfigWriter.write(family, config, source == null ? null : source.config()));
      for (Map.Entry<String, SafetensorsWriter> f : files.entrySet()) f.getValue().write(staging.resolve(f.getKey()));
      if (sharded) {
        HfWeightFiles.writeIndex(staging, totalBytes, weightMap);
      }
      for (Map.Entry<String, byte[]> t : tokenizerFiles.entrySet()) Files.write(staging.resolve(t.getKey()), t.getValue());
      AtomicFiles.publishDirectory(staging, target);
      return target;
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(target + ": cannot write the MoE-LLaVA folder: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  /**
   * The checkpoint tensors of {@code rules} in rule order, each handed to {@code sink} once complete: a variable's
   * tensors (one per expert for stacked experts) as soon as it is converted, a fused tensor (Qwen-1's {@code c_attn})
   * when its last part is in. {@code variable} gives a project variable by name (null when missing); the tower's
   * rules are skipped unless {@code withTower}. Export and {@code init-random} share this one conversion.
   */
  static void forEachHfTensor(MoeLlavaFamily family, List<MoeLlavaWeightMapping.Resolved> rules, boolean withTower,
      Function<String, TensorValue> variable, BiConsumer<String, TensorValue> sink) {
    Map<String, float[]> fused = new LinkedHashMap<>();
    Map<String, Integer> fusedParts = new LinkedHashMap<>();
    for (MoeLlavaWeightMapping.Resolved r : rules) {
      if (!withTower && MoeLlavaWeightMapping.isTowerKey(family, r.hfKeys().get(0))) continue;
      TensorValue value = variable.apply(r.projectName());
      if (value == null) {
        throw new InvalidInputException("missing variable '" + r.projectName() + "' needed for " + r.hfKeys().get(0));
      }
      if (!Arrays.equals(value.shape(), r.projectShape())) {
        throw new InvalidInputException("variable '" + r.projectName() + "' has shape " + Arrays.toString(value.shape())
            + " but the config needs " + Arrays.toString(r.projectShape()));
      }
      List<TensorValue> hf = r.transform().toHf(value);
      if (r.parts() == 1) {
        for (int i = 0; i < hf.size(); i++) sink.accept(r.hfKeys().get(i), hf.get(i));
        continue;
      }
      String key = r.hfKeys().get(0);
      long total = Arrays.stream(r.hfShape()).reduce(1, (a, b) -> a * b);
      float[] buffer = fused.computeIfAbsent(key, k -> new float[(int) total]);
      float[] part = hf.get(0).data();
      System.arraycopy(part, 0, buffer, r.part() * part.length, part.length);
      if (fusedParts.merge(key, 1, Integer::sum) == r.parts()) {
        fused.remove(key);
        sink.accept(key, new TensorValue(r.hfShape(), buffer));
      }
    }
  }

  /**
   * The keys and shapes {@link #forEachHfTensor} hands out, in the same order, without converting anything (so a
   * streamed file's header can be written first).
   */
  static List<SafetensorsStreamWriter.Entry> hfTensorOrder(MoeLlavaFamily family,
      List<MoeLlavaWeightMapping.Resolved> rules, boolean withTower, SafetensorsDType dtype) {
    List<SafetensorsStreamWriter.Entry> out = new java.util.ArrayList<>();
    Map<String, Integer> fusedParts = new LinkedHashMap<>();
    for (MoeLlavaWeightMapping.Resolved r : rules) {
      if (!withTower && MoeLlavaWeightMapping.isTowerKey(family, r.hfKeys().get(0))) continue;
      if (r.parts() == 1) {
        for (String key : r.hfKeys()) out.add(new SafetensorsStreamWriter.Entry(key, dtype, r.hfShape()));
      } else if (fusedParts.merge(r.hfKeys().get(0), 1, Integer::sum) == r.parts()) {
        out.add(new SafetensorsStreamWriter.Entry(r.hfKeys().get(0), dtype, r.hfShape()));
      }
    }
    return out;
  }
}
