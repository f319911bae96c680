package org.moellava.eval.model;

import java.util.Arrays;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.data.LlavaEntry;
import org.moellava.data.PromptTemplate;
import org.moellava.data.SampleBuilder;
import org.moellava.data.TokenizedSample;
import org.moellava.data.Turn;
import org.moellava.data.synth.Captioner;
import org.moellava.text.Tokenizer;

/**
 * Prompt token ids built exactly as in training: the conversation goes through {@link SampleBuilder} with an empty
 * answer, and the prompt is everything before the first learned (answer) token. For the CHAT template that is
 * {@code {system} USER: <image>\n{q} ASSISTANT:}; captions are asked for with the description request in the same
 * chat template. For PLAIN (stage-I captions) the prompt is the image block alone.
 */
public final class EvalPrompts {
  private static final String IMAGE_FILE = "image.png";
  private final SampleBuilder chat;
  private final SampleBuilder plain;

  /** Prompts for {@code config}'s image token, P, eos and system prompt. */
  public EvalPrompts(ModelConfig config, Tokenizer tokenizer) {
    this.chat = SampleBuilder.forConfig(config, tokenizer, PromptTemplate.CHAT, config.systemPrompt());
    this.plain = SampleBuilder.forConfig(config, tokenizer, PromptTemplate.PLAIN, "");
  }

  /** The single-turn chat prompt for {@code question}, with the image block when {@code withImage}. */
  public int[] question(String question, boolean withImage) {
    String human = withImage ? Turn.IMAGE_PLACEHOLDER + "\n" + question : question;
    return prompt(chat, new LlavaEntry("eval", withImage ? IMAGE_FILE : null, List.of(Turn.human(human), Turn.gpt(""))));
  }

  /**
   * The caption prompt: the chat prompt of the description request {@link Captioner#REQUEST}, as the instruction
   * data of stages II-III asks for captions.
   */
  public int[] caption() {
    return question(Captioner.REQUEST, true);
  }

  /** The caption prompt of stage I's plain template (the image block), for a stage-I model. */
  public int[] plainCaption() {
    return prompt(plain, new LlavaEntry("eval", IMAGE_FILE, List.of(Turn.human(Turn.IMAGE_PLACEHOLDER), Turn.gpt(""))));
  }

  private static int[] prompt(SampleBuilder builder, LlavaEntry entry) {
    TokenizedSample sample = builder.build(entry);
    int[] labels = sample.labels();
    int end = 0;
    while (end < labels.length && labels[end] == TokenizedSample.IGNORE) end++;
    return Arrays.copyOf(sample.inputIds(), end);
  }
}
