package org.moellava.data;

import org.moellava.image.RgbImage;

/** Random access to conversation entries and their images (from files or generated in memory). */
public interface ConversationDataset {
  /** Number of entries. */
  int size();

  /** Entry {@code i}. */
  LlavaEntry entry(int i);

  /** The decoded image of entry {@code i}, or null when it is text-only. */
  RgbImage image(int i);
}
