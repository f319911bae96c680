package org.moellava.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.moellava.checkpoint.StreamingCheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.moellava.error.InvalidInputException;
import org.moellava.safetensors.SafetensorsEntry;
import org.moellava.tensor.TensorValue;
import org.moellava.text.Gpt2BpeConverter;
import org.moellava.text.TiktokenConverter;

/**
 * Imports a published MoE-LLaVA checkpoint folder (StableLM-2, Phi-2 or Qwen-1 family: {@code config.json},
 * {@code model.safetensors} or shards with {@code model.safetensors.index.json} in F32/F16/BF16, the family's
 * tokenizer files) into a project checkpoint, with {@link MoeLlavaWeightMapping}.
 *
 * <p>The vision tower's weights come from the checkpoint ({@code <p>image_tower.image_tower.vision_model.*}) or, when
 * it has none, from {@code --vision DIR}; the tower's config from {@code --vision DIR} or the built-in table of
 * published towers. The tokenizer is converted to {@code tokenizer.json} (tiktoken ranks for StableLM-2 and Qwen-1,
 * vocab/merges for Phi-2). Everything is read and checked before anything is written; any problem is one line naming
 * the file and key or field, and nothing is written. The weights are then streamed one variable at a time. What export needs to write the folder back bit for bit is kept
 * in {@link MoeLlavaSource}.
 */
public final class MoeLlavaImporter {

  /**
   * What an import produced.
   *
   * @param tensors the number of project variables written
   * @param parameters their number of values
   */
  public record Result(ModelConfig config, int tensors, long parameters, byte[] tokenizerJson, List<String> notes,
      String family) {}

  /**
   * Imports {@code dir} (tower from {@code visionDir} if given, else from the checkpoint) into {@code target}. Every
   * key, shape, dtype and the config are checked and the tokenizer converted first; then the weights stream tensor by
   * tensor into a {@link StreamingCheckpointWriter} (never the whole model in memory), which publishes the checkpoint
   * only when complete.
   */
  public Result importTo(Path dir, Path visionDir, Path target) {
    try (StreamingCheckpointWriter writer = StreamingCheckpointWriter.open(target)) {
      Read r = read(dir, visionDir, writer::add);
      Map<String, byte[]> extra = new LinkedHashMap<>();
      extra.put(MoeLlavaSource.FILE, r.source().toBytes());
      r.tokenizerFiles().forEach((name, bytes) -> extra.put(MoeLlavaSource.TOKENIZER_PREFIX + name, bytes));
      writer.finish(r.result().config(), r.result().tokenizerJson(),
          TrainingState.imported(r.result().config().training().seed()), extra);
      return r.result();
    }
  }

  /** A read folder: the result, its source record and the tokenizer files to keep. */
  record Read(Result result, MoeLlavaSource source, Map<String, byte[]> tokenizerFiles) {}

  /**
   * Checks {@code dir} whole (keys, shapes, dtypes, config, tokenizer), then reads and converts its weights one
   * variable at a time into {@code sink}.
   */
  Read read(Path dir, Path visionDir, BiConsumer<String, TensorValue> sink) {
    if (!Files.isDirectory(dir)) throw new InvalidInputException(dir + ": MoE-LLaVA checkpoint folder not found");
    Path configFile = dir.resolve(HfConfigReader.CONFIG);
    JsonNode root = HfConfigReader.readJson(configFile);
    MoeLlavaFamily family = MoeLlavaConfigReader.family(configFile, root);
    try (HfWeightFiles weights = HfWeightFiles.open(dir, k -> k)) {
      refuseResidualMoe(weights);
      boolean towerInCheckpoint = weights.keys().stream().anyMatch(k -> MoeLlavaWeightMapping.isTowerKey(family, k));
      if (!towerInCheckpoint && visionDir == null) {
        throw new InvalidInputException(weights.source() + ": missing tower: the checkpoint holds no "
            + family.prefix() + "image_tower.* weights; pass --vision DIR (a local copy of "
            + root.path("mm_image_tower").asText("the vision tower") + ")");
      }
      VisionConfig vision = visionDir != null ? MoeLlavaVision.fromDir(visionDir)
          : MoeLlavaVision.known(configFile, root);
      checkTowerStyle(weights, family, vision, visionDir != null ? visionDir.resolve(HfConfigReader.CONFIG)
          : configFile);
      MoeLlavaConfigReader.Result mapped = MoeLlavaConfigReader.read(configFile, root, vision, weights::contains);
      ModelConfig config = mapped.config();
      List<String> notes = new ArrayList<>(mapped.notes());
      if (!towerInCheckpoint && !Files.isRegularFile(visionDir.resolve(HfWeightFiles.SINGLE))
          && !Files.isRegularFile(visionDir.resolve(HfWeightFiles.INDEX))) {
        throw new InvalidInputException(visionDir + ": missing tower: neither the checkpoint nor --vision holds the "
            + "tower's weights (" + HfWeightFiles.SINGLE + " or " + HfWeightFiles.INDEX + ")");
      }
      HfWeightFiles towerFiles = towerInCheckpoint ? null
          : HfWeightFiles.open(visionDir, MoeLlavaVision.towerKeys(family.prefix()));
      try {
        Map<String, String> dtypes = new TreeMap<>();
        Map<String, String> files = new TreeMap<>();
        Map<String, Map<String, String>> metadata = new TreeMap<>();
        Set<String> used = new TreeSet<>();
        List<MoeLlavaWeightMapping.Resolved> rules = MoeLlavaWeightMapping.resolve(family, config);
        for (MoeLlavaWeightMapping.Resolved r : rules) { // checks only: nothing is read yet
          boolean tower = MoeLlavaWeightMapping.isTowerKey(family, r.hfKeys().get(0));
          HfWeightFiles from = tower && towerFiles != null ? towerFiles : weights;
          for (String key : r.hfKeys()) {
            if (!from.contains(key)) {
              throw new InvalidInputException(from.source() + ": missing key '" + key + "' (needed for "
                  + r.projectName() + ")");
            }
            checkTensor(from, key, r.hfShape());
            if (from == weights) {
              used.add(key);
              dtypes.put(key, from.entry(key).dtype().name());
              files.put(key, from.fileName(key));
              metadata.putIfAbsent(from.fileName(key), new TreeMap<>(from.metadata(key)));
            }
          }
        }
        Set<String> extra = new TreeSet<>(weights.keys());
        extra.removeAll(used);
        if (!extra.isEmpty()) {
          String first = extra.iterator().next();
          throw new InvalidInputException(weights.describe(first) + ": unexpected key: the " + family.modelType()
              + " mapping for this config has no such tensor" + (extra.size() > 1 ? " (and " + (extra.size() - 1)
              + " more)" : ""));
        }
        Map<String, byte[]> tokenizerFiles = new LinkedHashMap<>();
        byte[] tokenizerJson = tokenizer(dir, family, config, tokenizerFiles, notes);
        MoeLlavaSource source = new MoeLlavaSource(MoeLlavaSource.FORMAT_VERSION, family.modelType(), root,
            towerInCheckpoint, weights.sharded(), dtypes, files, metadata, List.copyOf(tokenizerFiles.keySet()));
        ConfigValidator.validate(config, configFile.toString());
        int tensors = 0;
        long parameters = 0;
        for (MoeLlavaWeightMapping.Resolved r : rules) { // one variable at a time
          boolean tower = MoeLlavaWeightMapping.isTowerKey(family, r.hfKeys().get(0));
          HfWeightFiles from = tower && towerFiles != null ? towerFiles : weights;
          List<TensorValue> parts = new ArrayList<>();
          for (String key : r.hfKeys()) {
            TensorValue value = from.read(key);
            parts.add(r.parts() > 1 ? rows(value, r.part(), r.parts()) : value);
          }
          TensorValue variable = r.transform().toProject(parts);
          sink.accept(r.projectName(), variable);
          tensors++;
          parameters += variable.data().length;
        }
        return new Read(new Result(config, tensors, parameters, tokenizerJson, List.copyOf(notes), family.modelType()),
            source, tokenizerFiles);
      } finally {
        if (towerFiles != null) towerFiles.close();
      }
    }
  }

  /** DeepSpeed's residual MoE ({@code use_residual}) keeps a dense MLP and a coefficient beside the experts. */
  private static void refuseResidualMoe(HfWeightFiles weights) {
    for (String key : weights.keys()) {
      if (key.contains(".mlp.mlp.") || key.contains(".mlp.coefficient.")) {
        throw new InvalidInputException(weights.describe(key) + ": a residual MoE (moe.use_residual: a dense MLP "
            + "beside the experts) cannot be expressed");
      }
      if (key.contains("shared_expert")) {
        throw new InvalidInputException(weights.describe(key) + ": shared experts cannot be expressed");
      }
    }
  }

  /**
   * A checkpoint whose tower tensors are of the other style than its tower config (a SigLIP checkpoint read with a
   * CLIP config, or the reverse) fails naming the tensor and where the config came from.
   */
  private static void checkTowerStyle(HfWeightFiles weights, MoeLlavaFamily family, VisionConfig vision,
      Path towerConfig) {
    String tower = family.prefix() + "image_tower.image_tower.vision_model.";
    for (String key : List.of(tower + "head.probe", tower + "embeddings.patch_embedding.bias",
        tower + "embeddings.class_embedding", tower + "pre_layrnorm.weight")) {
      if (!weights.contains(key)) continue;
      VisionStyle weightsStyle = key.endsWith("class_embedding") || key.endsWith("pre_layrnorm.weight")
          ? VisionStyle.CLIP : VisionStyle.SIGLIP;
      if (weightsStyle != vision.visionStyle()) {
        throw new InvalidInputException(weights.describe(key) + ": a " + weightsStyle + " tower's tensor, but the "
            + "tower config (" + towerConfig + ") is " + vision.visionStyle() + "; pass --vision DIR with the "
            + "tower's own config.json");
      }
    }
  }

  private static void checkTensor(HfWeightFiles weights, String key, long[] expected) {
    SafetensorsEntry e = weights.entry(key);
    if (!Arrays.equals(e.shape(), expected)) {
      throw new InvalidInputException(weights.describe(key) + ": shape " + Arrays.toString(e.shape())
          + " does not match the config, which needs " + Arrays.toString(expected));
    }
    if (!e.dtype().isFloatingPoint()) {
      throw new InvalidInputException(weights.describe(key) + ": dtype " + e.dtype()
          + " is not a floating-point type (F32, F16, BF16)");
    }
  }

  /** Row block {@code part} of {@code parts} of {@code t} (a fused q/k/v weight or bias). */
  static TensorValue rows(TensorValue t, int part, int parts) {
    long[] shape = t.shape().clone();
    int rows = (int) (shape[0] / parts);
    int rowSize = t.data().length / (int) shape[0];
    float[] out = new float[rows * rowSize];
    System.arraycopy(t.data(), part * rows * rowSize, out, 0, out.length);
    shape[0] = rows;
    return new TensorValue(shape, out);
  }

  /** Converts the family's tokenizer files (kept in {@code kept}) to tokenizer.json; null (with a note) if absent. */
  private static byte[] tokenizer(Path dir, MoeLlavaFamily family, ModelConfig config, Map<String, byte[]> kept,
      List<String> notes) {
    String main = family.tokenizerFiles().get(0);
    if (!Files.isRegularFile(dir.resolve(main))) {
      notes.add("no " + main + ": the checkpoint has no tokenizer.json");
      return null;
    }
    List<String> names = new ArrayList<>(family.tokenizerFiles());
    names.addAll(MoeLlavaFamily.TOKENIZER_SIDE_FILES);
    for (String name : names) {
      Path file = dir.resolve(name);
      if (!Files.isRegularFile(file)) continue;
      try {
        kept.put(name, Files.readAllBytes(file));
      } catch (IOException e) {
        throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
      }
    }
    byte[] json = switch (family) {
      case STABLELM -> TiktokenConverter.convert(kept.get(main), dir.resolve(main).toString(),
          TiktokenConverter.STABLELM_2);
      case QWEN -> TiktokenConverter.convert(kept.get(main), dir.resolve(main).toString(), TiktokenConverter.QWEN_1);
      case PHI -> {
        if (!kept.containsKey("merges.txt")) {
          throw new InvalidInputException(dir.resolve("merges.txt") + ": missing (Phi-2's tokenizer needs vocab.json "
              + "and merges.txt)");
        }
        yield Gpt2BpeConverter.convert(kept.get("vocab.json"), kept.get("merges.txt"), kept.get("added_tokens.json"),
            List.of("<|endoftext|>"));
      }
    };
    int maxOrdinary = family == MoeLlavaFamily.PHI ? -1 : TiktokenConverter.readRanks(kept.get(main), main).size() - 1;
    if (maxOrdinary >= config.imageTokenIndex()) {
      throw new InvalidInputException(dir.resolve(main) + ": token id " + config.imageTokenIndex() + " (vocab_size - 1,"
          + " the image placeholder) is an ordinary token of this tokenizer");
    }
    return json;
  }
}
