package org.moellava.hf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.moellava.checkpoint.StreamingCheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.io.AtomicFiles;
import org.moellava.safetensors.SafetensorsDType;
import org.moellava.safetensors.SafetensorsStreamWriter;
import org.moellava.tensor.TensorValue;

/**
 * A random-weight checkpoint of any config, written tensor by tensor (vLLM's {@code --load-format dummy}, but on
 * disk): at most one variable (and its converted copy) is in memory at a time, so a model larger than memory can be
 * made. Values: Normal(0, 0.02) for matrices and embeddings, norms' gains 1, biases 0 ({@link WeightInitializer}),
 * rounded to the chosen dtype. Each variable's values depend only on the seed and the variable's name, so the two
 * layouts of one seed hold the same values.
 *
 * <p>Layouts: {@link #writeMoeLlava} (MoE-LLaVA's published layout: config.json with the {@code moe} dict and
 * {@code mm_*} keys, {@code model-0000i-of-0000N.safetensors} shards of at most {@code shardBytes} plus
 * {@code model.safetensors.index.json}, keys and conversions from {@link MoeLlavaWeightMapping} through the exporter's
 * {@link MoeLlavaExporter#forEachHfTensor}); {@link #writeProject} (the project's checkpoint, through
 * {@link StreamingCheckpointWriter}; float32 variables holding values of the chosen dtype). Both are staged and
 * renamed into place.
 */
public final class RandomCheckpoint {

  /** What was written. */
  public record Written(Path dir, int tensors, long parameters, long bytes, List<String> files) {}

  private final ModelConfig config;
  private final SafetensorsDType dtype;
  private final long seed;
  private final Map<String, VariableSpec> specs = new LinkedHashMap<>();

  /** A generator of {@code config}'s weights as {@code dtype} values (F32, F16, BF16) from {@code seed}. */
  public RandomCheckpoint(ModelConfig config, SafetensorsDType dtype, long seed) {
    if (!dtype.isFloatingPoint()) throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
    this.config = config;
    this.dtype = dtype;
    this.seed = seed;
    for (VariableSpec s : ModelVariableSpecs.all(config)) specs.put(s.name(), s);
  }

  /** The value of the project variable {@code name}: a function of the seed and the name only. */
  public TensorValue variable(String name) {
    VariableSpec spec = specs.get(name);
    if (spec == null) return null;
    TensorValue v = WeightInitializer.initial(spec, new SplittableRandom(seed ^ nameHash(name)));
    if (dtype != SafetensorsDType.F32) {
      float[] d = v.data();
      for (int i = 0; i < d.length; i++) d[i] = SafetensorsStreamWriter.round(d[i], dtype);
    }
    return v;
  }

  /** 64-bit FNV-1a of the name's UTF-8 bytes. */
  private static long nameHash(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /**
   * Writes MoE-LLaVA's layout to the new folder {@code target}, the family's tokenizer files copied from
   * {@code tokenizerDir} when given.
   */
  public Written writeMoeLlava(Path target, long shardBytes, Path tokenizerDir) {
    refuseExisting(target);
    MoeLlavaFamily family = MoeLlavaFamily.ofStyle(config.textConfig().decoderStyle());
    if (family == null) {
      throw new InvalidInputException("text_config.decoder_style \"" + config.textConfig().decoderStyle().id()
          + "\" has no MoE-LLaVA layout (stablelm, phi, qwen); use --layout project");
    }
    if (shardBytes <= 0) throw new InvalidInputException("--shard-size must be positive, got " + shardBytes);
    Map<String, byte[]> tokenizer = tokenizerFiles(family, tokenizerDir);
    List<MoeLlavaWeightMapping.Resolved> rules = MoeLlavaWeightMapping.resolve(family, config);
    List<SafetensorsStreamWriter.Entry> order = MoeLlavaExporter.hfTensorOrder(family, rules, true, dtype);

    List<List<SafetensorsStreamWriter.Entry>> shards = new ArrayList<>();
    long size = 0;
    long total = 0;
    for (SafetensorsStreamWriter.Entry e : order) {
      if (shards.isEmpty() || (size > 0 && size + e.byteLength() > shardBytes)) {
        shards.add(new ArrayList<>());
        size = 0;
      }
      shards.get(shards.size() - 1).add(e);
      size += e.byteLength();
      total += e.byteLength();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      names.add(shards.size() == 1 ? HfWeightFiles.SINGLE
          : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()));
    }

    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      Files.writeString(staging.resolve(HfConfigReader.CONFIG), MoeLlavaConfigWriter.write(family, config, null));
      Map<String, String> weightMap = new TreeMap<>();
      int[] shard = {0};
      SafetensorsStreamWriter[] writer = {open(staging, names, shards, 0)};
      int[] inShard = {0};
      long[] parameters = {0};
      try {
        MoeLlavaExporter.forEachHfTensor(family, rules, true, this::variable, (key, value) -> {
          while (inShard[0] == shards.get(shard[0]).size()) {
            writer[0].close();
            shard[0]++;
            inShard[0] = 0;
            writer[0] = open(staging, names, shards, shard[0]);
          }
          writer[0].write(key, value);
          weightMap.put(key, names.get(shard[0]));
          parameters[0] += value.data().length;
          inShard[0]++;
        });
        writer[0].close();
      } catch (RuntimeException e) {
        writer[0].abort();
        throw e;
      }
      if (shards.size() > 1) {
        HfWeightFiles.writeIndex(staging, total, weightMap);
      }
      for (Map.Entry<String, byte[]> t : tokenizer.entrySet()) Files.write(staging.resolve(t.getKey()), t.getValue());
      AtomicFiles.publishDirectory(staging, target);
      List<String> files = new ArrayList<>(names);
      if (shards.size() > 1) files.add(HfWeightFiles.INDEX);
      return new Written(target, order.size(), parameters[0], total, files);
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(target + ": cannot write the MoE-LLaVA folder: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  private static SafetensorsStreamWriter open(Path dir, List<String> names,
      List<List<SafetensorsStreamWriter.Entry>> shards, int i) {
    return SafetensorsStreamWriter.open(dir.resolve(names.get(i)), MoeLlavaConfigWriter.defaultMetadata(),
        shards.get(i));
  }

  /**
   * Writes the project's checkpoint layout to the new directory {@code target}, with {@code tokenizerDir}'s
   * {@code tokenizer.json} when given.
   */
  public Written writeProject(Path target, Path tokenizerDir) {
    refuseExisting(target);
    byte[] tokenizerJson = null;
    if (tokenizerDir != null) {
      Path file = tokenizerDir.resolve(HfImporter.TOKENIZER);
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(file + ": missing (--layout project takes a tokenizer.json from --tokenizer-from)");
      }
      tokenizerJson = read(file);
    }
    long parameters = 0;
    try (StreamingCheckpointWriter w = StreamingCheckpointWriter.open(target)) {
      for (String name : specs.keySet()) {
        TensorValue v = variable(name);
        w.add(name, v);
        parameters += v.data().length;
      }
      w.finish(config, tokenizerJson, TrainingState.imported(seed), Map.of());
    }
    return new Written(target, specs.size(), parameters, 4 * parameters, List.of("variables/"));
  }

  private static void refuseExisting(Path target) {
    if (Files.exists(target)) {
      throw new InvalidInputException(target + ": already exists; choose a new --out directory (nothing was written)");
    }
  }

  private static Map<String, byte[]> tokenizerFiles(MoeLlavaFamily family, Path dir) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (dir == null) return out;
    String main = family.tokenizerFiles().get(0);
    if (!Files.isRegularFile(dir.resolve(main))) {
      throw new InvalidInputException(dir.resolve(main) + ": missing (the " + family.modelType() + " tokenizer files "
          + family.tokenizerFiles() + " are copied from --tokenizer-from)");
    }
    List<String> names = new ArrayList<>(family.tokenizerFiles());
    names.addAll(MoeLlavaFamily.TOKENIZER_SIDE_FILES);
    for (String name : names) {
      if (Files.isRegularFile(dir.resolve(name))) out.put(name, read(dir.resolve(name)));
    }
    return out;
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
