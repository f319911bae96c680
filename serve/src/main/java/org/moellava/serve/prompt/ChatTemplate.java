package org.moellava.serve.prompt;

import java.util.ArrayList;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.ModelInfo;

/**
 * The MoE-LLaVA conversation template (docs/architecture.md §2):
 * {@code {system} USER: <image>\n{q} ASSISTANT: {a}{eos}USER: {q2} ASSISTANT:}. System messages replace
 * the default system prompt; the image placeholder goes before the text of the user message that carried
 * the image and expands to P image tokens; each earlier assistant answer ends with the end-of-sequence
 * token. Text between special tokens is tokenised in one piece each.
 */
public final class ChatTemplate {
  /** LLaVA's default system prompt. */
  public static final String DEFAULT_SYSTEM = "A chat between a curious user and an artificial intelligence "
      + "assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

  private final PromptTokenizer tokenizer;
  private final ModelInfo info;
  private final String defaultSystem;

  /** A template with LLaVA's {@link #DEFAULT_SYSTEM} prompt (for models whose config names none). */
  public ChatTemplate(PromptTokenizer tokenizer, ModelInfo info) {
    this(tokenizer, info, DEFAULT_SYSTEM);
  }

  /**
   * A template whose system prompt, used when the conversation has no system message, is the model's own
   * ({@code ModelConfig.systemPrompt()}, {@code PackageManifest.systemPrompt()}).
   */
  public ChatTemplate(PromptTokenizer tokenizer, ModelInfo info, String defaultSystem) {
    this.tokenizer = tokenizer;
    this.info = info;
    this.defaultSystem = defaultSystem == null ? "" : defaultSystem;
  }

  /** The system prompt used when the conversation has none. */
  public String defaultSystem() {
    return defaultSystem;
  }

  /**
   * Token ids of the prompt that asks the assistant to answer the last user message.
   *
   * @throws InvalidInputException if there is no user message, the last message is not from the user, a
   *     non-user message carries an image, or more than one message does
   */
  public int[] build(List<ChatMessage> messages) {
    StringBuilder system = new StringBuilder();
    List<ChatMessage> turns = new ArrayList<>();
    int images = 0;
    for (ChatMessage m : messages) {
      if (m.hasImage()) {
        images++;
        if (!m.role().equals("user")) {
          throw new InvalidInputException("only user messages may carry an image, not " + m.role() + " messages");
        }
      }
      if (m.role().equals("system")) {
        system.append(system.length() == 0 ? "" : "\n").append(m.text());
      } else {
        turns.add(m);
      }
    }
    if (images > 1) {
      throw new InvalidInputException("the model takes one image per conversation, got " + images);
    }
    if (turns.isEmpty() || !turns.get(turns.size() - 1).role().equals("user")) {
      throw new InvalidInputException("the last message must be a user message");
    }
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder(system.length() == 0 ? defaultSystem : system).append(' ');
    for (ChatMessage turn : turns) {
      if (turn.role().equals("user")) {
        text.append("USER: ");
        if (turn.hasImage()) {
          flush(text, ids);
          for (int p = 0; p < info.numImageTokens(); p++) {
            ids.add(info.imageTokenId());
          }
          text.append('\n');
        }
        text.append(turn.text()).append(' ');
      } else {
        text.append("ASSISTANT: ").append(turn.text());
        flush(text, ids);
        ids.add(info.eosTokenId());
      }
    }
    text.append("ASSISTANT:");
    flush(text, ids);
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private void flush(StringBuilder text, List<Integer> ids) {
    if (text.length() > 0) {
      for (int id : tokenizer.encode(text.toString())) {
        ids.add(id);
      }
      text.setLength(0);
    }
  }
}
