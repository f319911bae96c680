package org.moellava.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.config.StageConfig;
import org.moellava.data.Batch;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.Upcycler;
import org.moellava.safetensors.LongTensorValue;
import org.moellava.safetensors.SafetensorsWriter;
import org.moellava.tensor.TensorValue;
import org.moellava.train.optim.CosineSchedule;

/**
 * What another trainer needs to replay a language stage of a synthetic-world run exactly as {@code moellava train}
 * runs it: the stage's starting weights (stage III: the dense model upcycled with the run's router seed) and its
 * micro-batches with the scheduled learning rate of each step. {@code bench train} feeds these to a PyTorch trainer.
 */
public final class StageReplay {
  private StageReplay() {}

  /**
   * The weights stage {@code stage} ({@code 2} or {@code 3}) of {@code config} starts from when its previous stage
   * ended in checkpoint {@code source} (a dense model), as {@code moellava train --stage N --init source} loads them.
   */
  public static Map<String, TensorValue> startWeights(ModelConfig config, String stage, Path source) {
    Stage s = language(stage);
    CheckpointReader reader = CheckpointReader.open(source);
    reader.config(Stage.dense(config));
    Map<String, TensorValue> weights = reader.readVariables();
    return s == Stage.STAGE3
        ? Upcycler.upcycle(config, weights, config.training().seed() ^ TrainingRun.ROUTER_SEED)
        : weights;
  }

  /** The model config of stage {@code stage} (dense for stage 2, the config's MoE model for stage 3). */
  public static ModelConfig stageModel(ModelConfig config, String stage) {
    return language(stage).modelConfig(config);
  }

  /** The optimiser settings of stage {@code stage}. */
  public static StageConfig settings(ModelConfig config, String stage) {
    return language(stage).settings(config.training());
  }

  /**
   * Writes the first {@code steps} optimiser steps of stage {@code stage} on the synthetic world to {@code file}
   * (safetensors): per step i {@code input_ids.i}, {@code attention_mask.i}, {@code labels.i} {@code [B,S]} int64
   * and {@code pixel_values.i} {@code [B,3,H,W]} f32, and {@code lr [steps]} f32, the cosine schedule over
   * {@code steps} steps (as {@code --max-steps steps} schedules it). One micro-batch per step: a stage with gradient accumulation is refused.
   */
  public static void writeBatches(ModelConfig config, String stage, int steps, Path file) {
    Stage s = language(stage);
    StageConfig settings = s.settings(config.training());
    if (settings.gradAccumSteps() > 1) {
      throw new InvalidInputException("stage " + stage + " accumulates " + settings.gradAccumSteps()
          + " micro-batches per step; the replay writes one batch per step");
    }
    if (steps < 1 || steps > settings.steps()) {
      throw new InvalidInputException("stage " + stage + " has " + settings.steps() + " steps; cannot replay " + steps);
    }
    // as `moellava train --max-steps steps`: the schedule spans the capped steps
    CosineSchedule schedule = CosineSchedule.withWarmupRatio(settings.learningRate(), steps, settings.warmupRatio());
    SafetensorsWriter out = new SafetensorsWriter().metadata("stage", s.label());
    float[] lr = new float[steps];
    Path tokenizer = null;
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainingData data = TrainingData.open(TrainingData.SYNTH, config, false, quiet)) {
      tokenizer = Files.createTempFile("moellava-replay-tokenizer", ".json");
      Files.writeString(tokenizer, SynthVocabulary.tokenizerJson(config.textConfig().vocabSize()),
          StandardCharsets.UTF_8);
      data.loadTokenizer(tokenizer);
      try (StageData stageData = data.forStage(s, s.modelConfig(config), settings)) {
        for (int i = 0; i < steps; i++) {
          Batch b = stageData.batch(i).batch();
          long[] shape = {b.batchSize(), b.sequenceLength()}; // [B,S]
          out.addLong("input_ids." + i, longs(b.inputIds(), shape));
          out.addLong("attention_mask." + i, longs(b.attentionMask(), shape));
          out.addLong("labels." + i, longs(b.labels(), shape));
          out.addFloat("pixel_values." + i, new TensorValue(new long[] {b.batchSize(), 3, b.imageSize(),
              b.imageSize()}, b.pixelValues())); // [B,3,H,W]
          lr[i] = (float) schedule.learningRate(i);
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException("cannot write a temporary tokenizer file: " + e.getMessage(), e);
    } finally {
      if (tokenizer != null) tokenizer.toFile().delete();
    }
    out.addFloat("lr", new TensorValue(new long[] {steps}, lr));
    out.write(file);
  }

  private static LongTensorValue longs(int[][] rows, long[] shape) {
    long[] flat = new long[rows.length * (int) shape[1]];
    for (int r = 0; r < rows.length; r++) {
      for (int t = 0; t < rows[r].length; t++) flat[r * rows[r].length + t] = rows[r][t];
    }
    return new LongTensorValue(shape, flat);
  }

  private static Stage language(String stage) {
    return switch (stage) {
      case "2" -> Stage.STAGE2;
      case "3" -> Stage.STAGE3;
      default -> throw new InvalidInputException("the replay covers stages 2 and 3, got '" + stage + "'");
    };
  }
}
