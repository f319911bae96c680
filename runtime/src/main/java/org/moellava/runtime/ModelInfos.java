package org.moellava.runtime;

import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.pkg.PackageManifest;

/** {@link ModelInfo} of a project {@link ModelConfig} (a checkpoint's {@code config.json}, a package's config). */
public final class ModelInfos {
  private ModelInfos() {}

  /** The serving view of {@code config}; {@code modelId} is the name clients use. */
  public static ModelInfo of(ModelConfig config, String modelId) {
    TextConfig t = config.textConfig();
    return new ModelInfo(t.vocabSize(), t.hiddenSize(), t.numHiddenLayers(), t.numKeyValueHeads(), t.headDim(),
        t.maxPositionEmbeddings(), config.visionConfig().numPatches(), config.imageTokenIndex(), t.eosTokenId(),
        t.padTokenId(), t.moeLayerIndices(), t.numExperts(), t.numExpertsPerTok(), config.visionConfig().imageSize(),
        modelId);
  }

  /** The serving view of a package: its config, with ids and MoE layers as {@code model.json} states them. */
  public static ModelInfo of(PackageManifest m) {
    ModelInfo c = of(m.config(), m.modelId());
    return new ModelInfo(c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numKeyValueHeads(), c.headDim(),
        c.maxContext(), m.numImageTokens(), m.imageTokenId(), m.eosTokenId(), m.padTokenId(), m.moeLayers(),
        c.numExperts(), c.expertsPerToken(), m.imageSize(), m.modelId());
  }
}
