package org.moellava.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One entry of a LLaVA-format {@code data.json}.
 *
 * @param id unique id
 * @param image image path relative to the image root, or null for a text-only entry
 * @param conversations alternating human/gpt turns, human first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LlavaEntry(
    @JsonProperty("id") String id,
    @JsonProperty("image") String image,
    @JsonProperty("conversations") List<Turn> conversations) {

  public LlavaEntry {
    conversations = List.copyOf(conversations);
  }

  /** Whether the entry has an image. */
  public boolean hasImage() {
    return image != null;
  }
}
