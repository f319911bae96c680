package org.moellava.analysis;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.data.ConversationDataset;
import org.moellava.data.PromptTemplate;
import org.moellava.data.SampleBuilder;
import org.moellava.eval.model.EvalModel;
import org.moellava.eval.model.GreedyDecoder;
import org.moellava.eval.model.PaddedBatch;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;
import org.moellava.runtime.Tensors;

/**
 * Collects router decisions over a dataset: each conversation is tokenised as in training (CHAT template, answers
 * included), conversations are left-padded into batches, and one prefill pass yields every real token's router
 * logits at every MoE layer. A token is an image token when its id is {@code image_token_index}.
 */
public final class RoutingAnalyzer {
  private final EvalModel model;
  private final int batchSize;

  public RoutingAnalyzer(EvalModel model, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    this.model = model;
    this.batchSize = batchSize;
  }

  /** Statistics over the first {@code limit} entries of {@code dataset}. */
  public RoutingStatistics analyze(ConversationDataset dataset, int limit) {
    ModelConfig config = model.config();
    TextConfig t = config.textConfig();
    RoutingStatistics stats = new RoutingStatistics(t.moeLayerIndices(), t.numExperts(), t.numExpertsPerTok());
    SampleBuilder builder = SampleBuilder.forConfig(config, model.tokenizer(), PromptTemplate.CHAT,
        config.systemPrompt());
    ImagePreprocessor preprocessor = ImagePreprocessor.fromConfig(config);
    GreedyDecoder decoder = new GreedyDecoder(model.backend());
    int n = Math.min(limit, dataset.size());
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      List<int[]> ids = new ArrayList<>();
      List<float[]> pixels = new ArrayList<>();
      for (int i = from; i < to; i++) {
        ids.add(builder.build(dataset.entry(i)).inputIds());
        RgbImage image = dataset.image(i);
        pixels.add(image == null ? null : preprocessor.preprocess(image));
      }
      PaddedBatch batch = PaddedBatch.leftPad(ids, t.padTokenId());
      Tensors.Decoded out = decoder.prefill(batch, decoder.imageFeatures(pixels));
      int[] mask = batch.mask().data();
      int[] tokens = batch.ids().data();
      boolean[] include = new boolean[mask.length];
      boolean[] image = new boolean[mask.length];
      for (int k = 0; k < mask.length; k++) {
        include[k] = mask[k] == 1;
        image[k] = tokens[k] == config.imageTokenIndex();
      }
      stats.add(out.routerLogits(), include, image);
    }
    return stats;
  }
}
