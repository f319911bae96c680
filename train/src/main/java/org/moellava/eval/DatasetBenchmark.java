package org.moellava.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.moellava.data.ConversationDataset;
import org.moellava.data.LlavaEntry;
import org.moellava.data.Turn;
import org.moellava.image.RgbImage;

/**
 * VQA over any LLaVA-format dataset: every human/gpt turn pair of the first {@code limit} entries is one question,
 * asked singly, with the gpt turn as the reference answer. The question type is {@code image} or {@code text}.
 * Such a dataset has no object annotations, so POPE and caption scores need the synthetic world.
 */
public final class DatasetBenchmark {
  private final ConversationDataset dataset;
  private final int limit;
  private final Map<String, Integer> indexById = new HashMap<>();

  public DatasetBenchmark(ConversationDataset dataset, int limit) {
    this.dataset = dataset;
    this.limit = Math.min(limit, dataset.size());
    for (int i = 0; i < this.limit; i++) indexById.put(dataset.entry(i).id(), i);
  }

  /** One question per turn pair. */
  public List<VqaQuestion> vqaQuestions() {
    List<VqaQuestion> out = new ArrayList<>();
    for (int i = 0; i < limit; i++) {
      LlavaEntry e = dataset.entry(i);
      List<Turn> turns = e.conversations();
      for (int t = 0; t + 1 < turns.size(); t += 2) {
        String q = turns.get(t).value().replace(Turn.IMAGE_PLACEHOLDER, "").strip();
        out.add(new VqaQuestion(e.id() + "-q" + t / 2, e.hasImage() ? e.id() : null, e.hasImage() ? "image" : "text",
            q, turns.get(t + 1).value()));
      }
    }
    return out;
  }

  /** The pixels of the entry with id {@code imageId}. */
  public RgbImage image(String imageId) {
    return dataset.image(indexById.get(imageId));
  }
}
