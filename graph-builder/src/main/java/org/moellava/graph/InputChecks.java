package org.moellava.graph;

import org.moellava.pkg.GraphNames;

import org.moellava.tensor.IntTensorValue;

import org.moellava.tensor.TensorValue;

import java.util.Arrays;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;

/** Shape and range checks of graph inputs, run before any session so errors name the input and both shapes. */
public final class InputChecks {
  private InputChecks() {}

  /** {@code pixel_values} must be {@code [B, 3, image_size, image_size]} with B >= 1. */
  public static void pixelValues(ModelConfig config, TensorValue pixels) {
    int size = config.visionConfig().imageSize();
    long[] s = pixels.shape();
    if (s.length != 4 || s[0] < 1 || s[1] != config.visionConfig().numChannels() || s[2] != size || s[3] != size) {
      throw new InvalidInputException("pixel_values: expected shape [B, " + config.visionConfig().numChannels() + ", "
          + size + ", " + size + "] (vision_config.image_size " + size + "), got " + pixels.shapeText());
    }
  }

  /** {@code name} must be {@code [B, S]} with ids in {@code [0, vocab_size)}. */
  public static void tokenIds(ModelConfig config, String name, IntTensorValue ids) {
    requireMatrix(name, ids);
    int vocab = config.textConfig().vocabSize();
    for (int i = 0; i < ids.data().length; i++) {
      int id = ids.data()[i];
      if (id < 0 || id >= vocab) {
        throw new InvalidInputException(name + ": id " + id + " at flat index " + i + " is outside the vocabulary [0, "
            + vocab + ") of shape " + ids.shapeText());
      }
    }
  }

  /** {@code labels} must have the shape of {@code input_ids}, with ids in range or -100. */
  public static void labels(ModelConfig config, IntTensorValue labels, IntTensorValue inputIds) {
    sameShape(GraphNames.LABELS, labels.shape(), GraphNames.INPUT_IDS, inputIds.shape());
    int vocab = config.textConfig().vocabSize();
    for (int id : labels.data()) {
      if (id != -100 && (id < 0 || id >= vocab)) {
        throw new InvalidInputException("labels: label " + id + " is neither -100 nor in [0, " + vocab + ")");
      }
    }
  }

  /** {@code attention_mask} must be {@code [B, expectedLength]} of 0/1. */
  public static void attentionMask(IntTensorValue mask, long batch, long expectedLength) {
    long[] expected = {batch, expectedLength};
    if (!Arrays.equals(mask.shape(), expected)) {
      throw new InvalidInputException("attention_mask: expected shape " + Arrays.toString(expected) + ", got "
          + mask.shapeText());
    }
    for (int v : mask.data()) {
      if (v != 0 && v != 1) throw new InvalidInputException("attention_mask: values must be 0 or 1, got " + v);
    }
  }

  /** Each row of {@code input_ids} has 0 or exactly P image tokens, and {@code image_features} is {@code [B,P,D]}. */
  public static void imageTokens(ModelConfig config, IntTensorValue ids, TensorValue imageFeatures) {
    int p = config.visionConfig().numPatches();
    long[] expected = {ids.shape()[0], p, config.textConfig().hiddenSize()};
    if (!Arrays.equals(imageFeatures.shape(), expected)) {
      throw new InvalidInputException("image_features: expected shape " + Arrays.toString(expected) + ", got "
          + imageFeatures.shapeText());
    }
    int seq = (int) ids.shape()[1];
    for (int b = 0; b < ids.shape()[0]; b++) {
      int count = 0;
      for (int s = 0; s < seq; s++) if (ids.data()[b * seq + s] == config.imageTokenIndex()) count++;
      if (count != 0 && count != p) {
        throw new InvalidInputException("input_ids: row " + b + " has " + count + " image tokens (id "
            + config.imageTokenIndex() + "), expected 0 or P=" + p);
      }
    }
  }

  /**
   * A training batch: {@code pixel_values [B,3,H,W]}, {@code input_ids [B,S]} in the vocabulary with 0 or P image
   * tokens per row, {@code attention_mask [B,S]} of 0/1, {@code labels [B,S]} (-100 or in the vocabulary).
   */
  public static void trainingBatch(ModelConfig config, TensorValue pixels, IntTensorValue inputIds,
      IntTensorValue attentionMask, IntTensorValue labels) {
    pixelValues(config, pixels);
    tokenIds(config, GraphNames.INPUT_IDS, inputIds);
    if (pixels.shape()[0] != inputIds.shape()[0]) {
      throw new InvalidInputException("pixel_values: batch " + pixels.shape()[0] + " differs from input_ids batch "
          + inputIds.shape()[0] + " (shapes " + pixels.shapeText() + " and " + inputIds.shapeText() + ")");
    }
    int p = config.visionConfig().numPatches();
    imageTokens(config, inputIds, TensorValue.filled(0f, inputIds.shape()[0], p, config.textConfig().hiddenSize()));
    attentionMask(attentionMask, inputIds.shape()[0], inputIds.shape()[1]);
    labels(config, labels, inputIds);
  }

  /** Shape of {@code name} must equal {@code expected}. */
  public static void shape(String name, long[] actual, long... expected) {
    if (!Arrays.equals(actual, expected)) {
      throw new InvalidInputException(name + ": expected shape " + Arrays.toString(expected) + ", got "
          + Arrays.toString(actual));
    }
  }

  private static void sameShape(String name, long[] actual, String otherName, long[] other) {
    if (!Arrays.equals(actual, other)) {
      throw new InvalidInputException(name + ": shape " + Arrays.toString(actual) + " differs from " + otherName
          + " shape " + Arrays.toString(other));
    }
  }

  private static void requireMatrix(String name, IntTensorValue v) {
    if (v.shape().length != 2 || v.shape()[0] < 1) {
      throw new InvalidInputException(name + ": expected shape [B, S] with B >= 1, got " + v.shapeText());
    }
  }
}
