package org.moellava.data;

import java.util.Arrays;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.text.Tokenizer;

/**
 * Tokenises conversations with a {@link PromptTemplate}. Text segments are encoded separately and
 * concatenated; {@code <image>} becomes {@code numPatches} copies of {@code imageTokenId} and eos is inserted
 * as an id, so neither depends on how the tokenizer treats their text.
 *
 * <p>Truncation policy: a sequence longer than {@code maxLength} keeps its first {@code maxLength} tokens
 * (labels alike) and is marked truncated; later turns are lost first. If even the image block does not fit,
 * the entry is rejected with an error naming it, since a partial image cannot be embedded.
 *
 * <p>PLAIN ends the caption with the tokens of {@code "\n"}; a tokenizer that has no token for it (the
 * synthetic WordLevel vocabulary drops whitespace) gets eos instead, so the end of a caption is still learned.
 */
public final class SampleBuilder {
  private final Tokenizer tokenizer;
  private final PromptTemplate template;
  private final String systemPrompt;
  private final int imageTokenId;
  private final int numPatches;
  private final int eosId;
  private final int maxLength;
  private final int[] captionEnd;

  /**
   * @param tokenizer the text tokenizer
   * @param template PLAIN or CHAT
   * @param systemPrompt text before the first {@code USER:} (CHAT only; may be empty)
   * @param imageTokenId image_token_index
   * @param numPatches P, image tokens per image
   * @param eosId eos_token_id
   * @param maxLength longest sequence kept
   */
  public SampleBuilder(Tokenizer tokenizer, PromptTemplate template, String systemPrompt, int imageTokenId,
      int numPatches, int eosId, int maxLength) {
    this.tokenizer = tokenizer;
    this.template = template;
    this.systemPrompt = systemPrompt;
    this.imageTokenId = imageTokenId;
    this.numPatches = numPatches;
    this.eosId = eosId;
    this.maxLength = maxLength;
    int[] newline = tokenizer.encode("\n");
    this.captionEnd = newline.length > 0 ? newline : new int[] {eosId};
  }

  /** A builder with the model's image token, P, eos and context limit ({@code max_position_embeddings}). */
  public static SampleBuilder forConfig(ModelConfig config, Tokenizer tokenizer, PromptTemplate template,
      String systemPrompt) {
    return new SampleBuilder(tokenizer, template, systemPrompt, config.imageTokenIndex(),
        config.visionConfig().numPatches(), config.textConfig().eosTokenId(),
        config.textConfig().maxPositionEmbeddings());
  }

  /** Longest sequence kept. */
  public int maxLength() {
    return maxLength;
  }

  /** Tokenises {@code entry}. */
  public TokenizedSample build(LlavaEntry entry) {
    Sequence seq = new Sequence();
    List<Turn> turns = entry.conversations();
    if (turns.size() < 2) throw new InvalidInputException("entry '" + entry.id() + "': conversation has no answer");
    if (template == PromptTemplate.PLAIN) {
      if (entry.hasImage()) seq.image();
      seq.text(turns.get(1).value(), true);
      seq.ids(captionEnd, true);
    } else {
      for (int t = 0; t + 1 < turns.size(); t += 2) {
        String question = turns.get(t).value();
        if (t == 0) {
          seq.text(systemPrompt.isEmpty() ? "USER: " : systemPrompt + " USER: ", false);
          if (entry.hasImage()) {
            seq.image();
            question = "\n" + question.replace(Turn.IMAGE_PLACEHOLDER, "").strip();
          }
        } else {
          seq.text(" USER: ", false);
        }
        seq.text(question + " ASSISTANT:", false);
        seq.text(" " + turns.get(t + 1).value(), true);
        seq.ids(new int[] {eosId}, true);
      }
    }
    return seq.finish(entry);
  }

  /** Accumulates ids and labels. */
  private final class Sequence {
    private int[] ids = new int[64];
    private int[] labels = new int[64];
    private int length;
    private int imageEnd = -1;

    void image() {
      int[] block = new int[numPatches];
      Arrays.fill(block, imageTokenId);
      ids(block, false);
      imageEnd = length;
    }

    void text(String text, boolean learned) {
      if (text.contains(Turn.IMAGE_PLACEHOLDER)) {
        throw new InvalidInputException(Turn.IMAGE_PLACEHOLDER + " outside the first human turn");
      }
      ids(tokenizer.encode(text), learned);
    }

    void ids(int[] add, boolean learned) {
      if (length + add.length > ids.length) {
        int cap = Math.max(ids.length * 2, length + add.length);
        ids = Arrays.copyOf(ids, cap);
        labels = Arrays.copyOf(labels, cap);
      }
      for (int i = 0; i < add.length; i++) {
        ids[length + i] = add[i];
        labels[length + i] = learned ? add[i] : TokenizedSample.IGNORE;
      }
      length += add.length;
    }

    TokenizedSample finish(LlavaEntry entry) {
      if (imageEnd > maxLength) {
        throw new InvalidInputException("entry '" + entry.id() + "': its " + numPatches
            + " image tokens end at position " + imageEnd + ", past the maximum length " + maxLength);
      }
      int kept = Math.min(length, maxLength);
      return new TokenizedSample(entry.id(), Arrays.copyOf(ids, kept), Arrays.copyOf(labels, kept),
          imageEnd >= 0, length > maxLength);
    }
  }
}
