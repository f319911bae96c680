package org.moellava.eval.model;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.eval.BatchAnswerer;
import org.moellava.eval.ImageCaptioner;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;
import org.moellava.text.Tokenizer;

/**
 * Answers questions and captions images with a checkpoint's model: prompts as in training ({@link EvalPrompts}),
 * greedy decoding with the KV cache ({@link GreedyDecoder}), {@code batchSize} prompts per decode.
 */
public final class ModelAnswerer implements BatchAnswerer, ImageCaptioner {
  /** New tokens for a short answer (VQA, POPE). */
  public static final int ANSWER_TOKENS = 8;
  /** New tokens for a caption. */
  public static final int CAPTION_TOKENS = 40;

  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final EvalPrompts prompts;
  private final GreedyDecoder decoder;
  private final ImagePreprocessor preprocessor;
  private final int batchSize;
  private int decodedPrompts;
  private int generatedTokens;

  /** A runner over {@code model} decoding {@code batchSize} prompts at a time. */
  public ModelAnswerer(EvalModel model, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    this.config = model.config();
    this.tokenizer = model.tokenizer();
    this.prompts = new EvalPrompts(config, tokenizer);
    this.decoder = new GreedyDecoder(model.backend());
    this.preprocessor = ImagePreprocessor.fromConfig(config);
    this.batchSize = batchSize;
  }

  @Override
  public List<String> answerAll(List<Query> queries) {
    List<int[]> ids = new ArrayList<>(queries.size());
    List<RgbImage> images = new ArrayList<>(queries.size());
    for (Query q : queries) {
      ids.add(prompts.question(q.question(), q.image() != null));
      images.add(q.image());
    }
    return decodeAll(ids, images, ANSWER_TOKENS);
  }

  @Override
  public List<String> captionAll(List<RgbImage> images) {
    List<int[]> ids = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) ids.add(prompts.caption());
    return decodeAll(ids, images, CAPTION_TOKENS);
  }

  /** Prompts decoded so far. */
  public int decodedPrompts() {
    return decodedPrompts;
  }

  /** New tokens generated so far (eos not counted). */
  public int generatedTokens() {
    return generatedTokens;
  }

  private List<String> decodeAll(List<int[]> ids, List<RgbImage> images, int maxNewTokens) {
    List<String> out = new ArrayList<>(ids.size());
    for (int from = 0; from < ids.size(); from += batchSize) {
      int to = Math.min(ids.size(), from + batchSize);
      List<float[]> pixels = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) pixels.add(images.get(i) == null ? null : preprocessor.preprocess(images.get(i)));
      PaddedBatch batch = PaddedBatch.leftPad(ids.subList(from, to), config.textConfig().padTokenId());
      List<int[]> tokens = decoder.generate(batch, decoder.imageFeatures(pixels), maxNewTokens,
          config.textConfig().eosTokenId());
      for (int[] t : tokens) {
        out.add(tokenizer.decode(t).strip());
        generatedTokens += t.length;
      }
      decodedPrompts += to - from;
    }
    return out;
  }
}
