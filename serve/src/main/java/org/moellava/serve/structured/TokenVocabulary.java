package org.moellava.serve.structured;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The model's vocabulary as byte strings, arranged as a trie for the token mask: every token's decoded bytes (a
 * byte-level BPE token may hold part of a UTF-8 character, or several JSON lexemes), built once per tokenizer.
 * Tokens without bytes (special tokens, the image placeholder, ids the tokenizer does not define, empty tokens) are
 * never allowed in structured output, except end-of-sequence once the value is complete.
 *
 * <p>The trie is implicit in the tokens sorted by their bytes: node {@code n} covers the sorted range
 * {@code [lo[n], hi[n])} of tokens that start with its path, the first {@code ends[n] - lo[n]} of which end there.
 * For the shortcut inside strings, each node also records whether every token below it is plain string text read
 * from a character boundary (no quote, backslash or control byte, valid UTF-8 so far) and the most code points such a
 * token holds.
 */
public final class TokenVocabulary {
  private final int size;
  private final int eos;
  private final byte[][] bytes;
  private final int[] sorted; // token ids with bytes, by bytes (unsigned), shorter first
  // trie nodes; node 0 is the root
  private int[] lo;
  private int[] ends;
  private int[] hi;
  private int[] firstChild; // children of n are nodes [firstChild[n], firstChild[n] + childCount[n])
  private int[] childCount;
  private int[] edge; // the byte leading to the node
  // plain[d * nodes + n]: every token below n is plain string text after n when d continuation bytes are due there
  private boolean[] plain;
  private int[] maxChars; // [d * nodes + n]: the most code points those tokens add after n
  private int nodes;

  /**
   * @param tokenBytes each token id's bytes (index = id), null for a token that is never text
   * @param eos the end-of-sequence id
   */
  public TokenVocabulary(byte[][] tokenBytes, int eos) {
    this.size = tokenBytes.length;
    this.eos = eos;
    this.bytes = new byte[size][];
    int withBytes = 0;
    for (int id = 0; id < size; id++) {
      byte[] b = tokenBytes[id];
      if (b != null && b.length > 0 && id != eos) {
        bytes[id] = b.clone();
        withBytes++;
      }
    }
    Integer[] ids = new Integer[withBytes];
    int n = 0;
    for (int id = 0; id < size; id++) {
      if (bytes[id] != null) ids[n++] = id;
    }
    Arrays.sort(ids, Comparator.comparing((Integer id) -> bytes[id], Arrays::compareUnsigned));
    this.sorted = new int[withBytes];
    for (int i = 0; i < withBytes; i++) sorted[i] = ids[i];
    buildTrie();
  }

  /** Vocabulary size (ids are 0 to size - 1). */
  public int size() {
    return size;
  }

  /** The end-of-sequence id. */
  public int eos() {
    return eos;
  }

  /** The bytes of {@code id}, or null when it is never text. Not a copy: do not change it. */
  byte[] bytes(int id) {
    return id >= 0 && id < size ? bytes[id] : null;
  }

  /** Tokens with bytes. */
  public int textTokens() {
    return sorted.length;
  }

  /**
   * Sets {@code allowed[id]} for every token whose whole byte string {@code state} accepts, and for end-of-sequence
   * when the value is complete; clears the rest. Returns how many are allowed.
   */
  public int mask(JsonAutomaton.State state, boolean[] allowed) {
    Arrays.fill(allowed, 0, size, false);
    int count = 0;
    int first = firstChild[0];
    for (int c = first; c < first + childCount[0]; c++) {
      JsonAutomaton.State next = JsonAutomaton.advance(state, edge[c]);
      if (next != null) count += walk(c, next, allowed);
    }
    if (eos >= 0 && eos < size && JsonAutomaton.canEnd(state)) {
      allowed[eos] = true;
      count++;
    }
    return count;
  }

  /** Whether {@code state} accepts token {@code id} (end-of-sequence: when the value is complete). */
  public boolean allows(JsonAutomaton.State state, int id) {
    if (id == eos) return JsonAutomaton.canEnd(state);
    byte[] b = bytes(id);
    return b != null && JsonAutomaton.advance(state, b) != null;
  }

  /**
   * Marks the tokens ending at or below {@code node}, whose path led to {@code state}. Inside a string, a subtree
   * whose every token goes on as plain text (and fits the length limit) is marked whole without walking it.
   */
  private int walk(int node, JsonAutomaton.State state, boolean[] allowed) {
    int due = JsonAutomaton.stringDue(state);
    if (due >= 0 && plain[due * nodes + node]) {
      JsonAutomaton.StringFrame string = (JsonAutomaton.StringFrame) state.frame;
      if (string.max < 0 || string.count + maxChars[due * nodes + node] <= string.max) {
        for (int i = lo[node]; i < hi[node]; i++) allowed[sorted[i]] = true;
        return hi[node] - lo[node];
      }
    }
    int count = ends[node] - lo[node];
    for (int i = lo[node]; i < ends[node]; i++) allowed[sorted[i]] = true;
    int first = firstChild[node];
    for (int c = first; c < first + childCount[node]; c++) {
      JsonAutomaton.State next = JsonAutomaton.advance(state, edge[c]);
      if (next != null) count += walk(c, next, allowed);
    }
    return count;
  }

  // --- trie construction: breadth-first, so each node's children are contiguous --------------------------------

  private void buildTrie() {
    int capacity = 1;
    for (int id : sorted) capacity += bytes[id].length;
    lo = new int[capacity];
    ends = new int[capacity];
    hi = new int[capacity];
    firstChild = new int[capacity];
    childCount = new int[capacity];
    edge = new int[capacity];
    int[] depth = new int[capacity];
    nodes = 1;
    lo[0] = 0;
    hi[0] = sorted.length;
    for (int n = 0; n < nodes; n++) { // nodes are appended as they are found: a breadth-first queue
      int d = depth[n];
      int i = lo[n];
      while (i < hi[n] && bytes[sorted[i]].length == d) i++;
      ends[n] = i;
      firstChild[n] = nodes;
      while (i < hi[n]) {
        int b = bytes[sorted[i]][d] & 0xff;
        int j = i;
        while (j < hi[n] && (bytes[sorted[j]][d] & 0xff) == b) j++;
        int c = nodes++;
        lo[c] = i;
        hi[c] = j;
        edge[c] = b;
        depth[c] = d + 1;
        childCount[n]++;
        i = j;
      }
    }
    // bottom-up (children come after their parent), for each number of continuation bytes due at the node
    plain = new boolean[4 * nodes];
    maxChars = new int[4 * nodes];
    for (int n = nodes - 1; n >= 0; n--) {
      for (int due = 0; due < 4; due++) {
        boolean allPlain = true;
        int most = 0;
        for (int c = firstChild[n]; c < firstChild[n] + childCount[n] && allPlain; c++) {
          int[] next = plainStep(due, edge[c]);
          allPlain = next[0] >= 0 && plain[next[0] * nodes + c];
          if (allPlain) most = Math.max(most, next[1] + maxChars[next[0] * nodes + c]);
        }
        plain[due * nodes + n] = allPlain;
        maxChars[due * nodes + n] = most;
      }
    }
  }

  /**
   * One byte of plain string text from a state with {@code due} continuation bytes pending: {new due (or -1 when
   * the byte is not plain text there), code points added}; exact, as the automaton reads a string (lead bytes whose
   * next byte has a narrower range are left to the automaton).
   */
  private static int[] plainStep(int due, int b) {
    if (due < 0) return new int[] {-1, 0};
    if (due > 0) return (b & 0xc0) == 0x80 ? new int[] {due - 1, 0} : new int[] {-1, 0};
    if (b == '"' || b == '\\' || b < 0x20) return new int[] {-1, 0};
    if (b < 0x80) return new int[] {0, 1};
    if (b >= 0xc2 && b <= 0xdf) return new int[] {1, 1};
    if (b >= 0xe1 && b <= 0xef && b != 0xed) return new int[] {2, 1};
    if (b >= 0xf1 && b <= 0xf3) return new int[] {3, 1};
    return new int[] {-1, 0}; // E0, ED, F0, F4 restrict their next byte: walk such tokens exactly
  }
}
