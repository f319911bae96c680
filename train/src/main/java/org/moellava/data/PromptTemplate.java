package org.moellava.data;

/**
 * How a conversation becomes one token sequence (docs/architecture.md §2).
 * <ul>
 *   <li>{@link #PLAIN} (stage I): {@code <image>{caption}\n}; the human text is ignored, only the caption is
 *   learned.</li>
 *   <li>{@link #CHAT} (stages II-III): {@code {system} USER: <image>\n{q} ASSISTANT: {a}{eos}}, further turns
 *   {@code  USER: {q} ASSISTANT: {a}{eos}}; only answers and their eos are learned.</li>
 * </ul>
 */
public enum PromptTemplate {
  PLAIN, CHAT
}
