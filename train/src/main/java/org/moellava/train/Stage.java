package org.moellava.train;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.StageConfig;
import org.moellava.config.TrainingConfig;
import org.moellava.data.PromptTemplate;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.VariableGroup;

/** The stages of MoE-Tuning (docs/architecture.md §2), plus the vision pretraining that stands in for CLIP. */
public enum Stage {
  /** Vision encoder pretraining on the synthetic world (a linear slot head, dropped afterwards). */
  VISION("vision", "vision", EnumSet.of(VariableGroup.VISION, VariableGroup.VISION_HEAD), null),
  /** Stage I: the projector on captions. */
  STAGE1("stage1", "1", EnumSet.of(VariableGroup.PROJECTOR), PromptTemplate.PLAIN),
  /** Stage II: the LLM and the projector on instruction conversations. */
  STAGE2("stage2", "2", EnumSet.of(VariableGroup.PROJECTOR, VariableGroup.EMBEDDINGS, VariableGroup.ATTENTION,
      VariableGroup.NORMS, VariableGroup.FFN, VariableGroup.LM_HEAD), PromptTemplate.CHAT),
  /** Stage III: FFNs, experts, routers and the projector of the upcycled MoE model. */
  STAGE3("stage3", "3", EnumSet.of(VariableGroup.PROJECTOR, VariableGroup.FFN, VariableGroup.EXPERTS,
      VariableGroup.ROUTERS), PromptTemplate.CHAT);

  private final String label;
  private final String argument;
  private final Set<VariableGroup> trained;
  private final PromptTemplate template;

  Stage(String label, String argument, Set<VariableGroup> trained, PromptTemplate template) {
    this.label = label;
    this.argument = argument;
    this.trained = trained;
    this.template = template;
  }

  /** The name used in {@code state.json}, the run directory and {@code metrics.jsonl}: {@code vision}, {@code stage1}, ... */
  public String label() {
    return label;
  }

  /** The variable groups this stage trains; every other group is frozen. */
  public Set<VariableGroup> trainedGroups() {
    return EnumSet.copyOf(trained);
  }

  /** The prompt template of the language stages (null for {@link #VISION}). */
  public PromptTemplate template() {
    return template;
  }

  /** The optimiser settings of this stage. */
  public StageConfig settings(TrainingConfig training) {
    return switch (this) {
      case VISION -> training.vision();
      case STAGE1 -> training.stage1();
      case STAGE2 -> training.stage2();
      case STAGE3 -> training.stage3();
    };
  }

  /** The stage before this one, or null for {@link #VISION}. */
  public Stage previous() {
    return ordinal() == 0 ? null : values()[ordinal() - 1];
  }

  /** Whether this stage trains the MoE model (stage III); the earlier stages train the dense model. */
  public boolean isMoe() {
    return this == STAGE3;
  }

  /** The model this stage trains: {@code full} for stage III, its dense form ({@code moe_layers none}) before. */
  public ModelConfig modelConfig(ModelConfig full) {
    return isMoe() ? full : dense(full);
  }

  /** {@code config} with {@code text_config.moe_layers = none}. */
  public static ModelConfig dense(ModelConfig config) {
    return config.withTextConfig(config.textConfig().withMoeLayers(MoeLayers.of(MoeLayers.Mode.NONE)));
  }

  /**
   * The stages a {@code --stage} argument names: {@code vision}, {@code 1}, {@code 2}, {@code 3} or {@code all}
   * (vision, 1, 2, 3 in order).
   *
   * @throws InvalidInputException for any other value
   */
  public static List<Stage> parsePlan(String argument) {
    if ("all".equals(argument)) return List.of(values());
    List<Stage> out = new ArrayList<>();
    for (Stage s : values()) {
      if (s.argument.equals(argument) || s.label.equals(argument)) out.add(s);
    }
    if (out.isEmpty()) {
      throw new InvalidInputException("unknown stage '" + argument + "' (stages: vision, 1, 2, 3, all)");
    }
    return out;
  }
}
