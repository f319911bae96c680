package org.moellava.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/**
 * Converts a tiktoken BPE ranks file ({@code arcade100k.tiktoken} of StableLM-2, {@code qwen.tiktoken} of Qwen-1:
 * one line {@code base64(token bytes) rank} per mergeable token) to a Hugging Face {@code tokenizer.json} that encodes
 * as the family's tokenizer class does: NFC first, the family's special tokens (not in the file) matched before
 * anything else, tiktoken's {@code pat_str} pre-tokenizer, then byte-level BPE.
 *
 * <p>The vocabulary is every token at its rank, in GPT-2's byte-to-unicode alphabet. The merges are derived from the
 * ranks as the standard tiktoken-to-HF conversion does: for each token of two or more bytes, in rank order, every
 * split of its bytes into two tokens (ordered by the ranks of the two parts, so the split with the lowest ranks comes
 * first); a merge's priority is the rank of the token it makes, which is tiktoken's rule. A pre-token that is itself
 * a token becomes that token ({@code ignore_merges}, as tiktoken looks a piece up before merging).
 */
public final class TiktokenConverter {

  /** A tiktoken family: its pre-tokenizer pattern and special tokens. */
  public record Family(String name, String pattern, Map<String, Integer> specials) {}

  /** The pattern StableLM-2's Arcade100k and Qwen-1's tokenizer share (cl100k's). */
  public static final String PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
      + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  /** StableLM-2 ({@code arcade100k.tiktoken}): special tokens at 100257..100288. */
  public static final Family STABLELM_2 = new Family("stablelm", PATTERN, stablelmSpecials());

  /** Qwen-1 ({@code qwen.tiktoken}): endoftext, im_start, im_end, extra_0..204 at 151643..151850. */
  public static final Family QWEN_1 = new Family("qwen", PATTERN, qwenSpecials());

  private TiktokenConverter() {}

  private static Map<String, Integer> stablelmSpecials() {
    Map<String, Integer> s = new LinkedHashMap<>();
    String[] names = {"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
        "<gh_stars>", "<filename>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>",
        "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<empty_output>", "<commit_before>", "<commit_msg>",
        "<commit_after>", "<reponame>", "<|endofprompt|>", "<|im_start|>", "<|im_end|>", "<|pause|>"};
    int id = 100257;
    for (String n : names) s.put(n, id++);
    for (int i = 0; i < 8; i++) s.put("<|reg" + i + "|>", id++);
    s.put("<|extra0|>", id);
    return Map.copyOf(s);
  }

  private static Map<String, Integer> qwenSpecials() {
    Map<String, Integer> s = new LinkedHashMap<>();
    s.put("<|endoftext|>", 151643);
    s.put("<|im_start|>", 151644);
    s.put("<|im_end|>", 151645);
    for (int i = 0; i < 205; i++) s.put("<|extra_" + i + "|>", 151646 + i);
    return Map.copyOf(s);
  }

  /**
   * The ranks of a tiktoken file, token bytes by rank.
   *
   * @param source the file name, for messages
   * @throws InvalidInputException naming the file and line of a malformed entry, or a missing or repeated rank
   */
  public static List<byte[]> readRanks(byte[] file, String source) {
    String text = new String(file, StandardCharsets.UTF_8);
    Map<Integer, byte[]> byRank = new HashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) continue;
      String[] parts = line.split(" ");
      byte[] token;
      int rank;
      try {
        if (parts.length != 2) throw new IllegalArgumentException("expected 'base64 rank'");
        token = Base64.getDecoder().decode(parts[0]);
        rank = Integer.parseInt(parts[1]);
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(source + ": line " + (i + 1) + ": not 'base64(token) rank': '"
            + (line.length() > 60 ? line.substring(0, 60) + "..." : line) + "'");
      }
      if (token.length == 0 || rank < 0 || byRank.put(rank, token) != null) {
        throw new InvalidInputException(source + ": line " + (i + 1) + ": rank " + rank + " is negative, repeated or"
            + " names an empty token");
      }
    }
    List<byte[]> out = new ArrayList<>();
    for (int r = 0; r < byRank.size(); r++) {
      byte[] t = byRank.get(r);
      if (t == null) throw new InvalidInputException(source + ": ranks are not 0.." + (byRank.size() - 1) + ": no rank " + r);
      out.add(t);
    }
    return out;
  }

  /** The {@code tokenizer.json} bytes of a ranks file in the given family. */
  public static byte[] convert(byte[] ranksFile, String source, Family family) {
    List<byte[]> ranks = readRanks(ranksFile, source);
    Map<String, Integer> rankOf = new HashMap<>(); // latin-1 view of the bytes (one char per byte) -> rank
    for (int r = 0; r < ranks.size(); r++) {
      if (rankOf.put(latin1(ranks.get(r)), r) != null) {
        throw new InvalidInputException(source + ": the token of rank " + r + " appears twice");
      }
    }
    for (int b = 0; b < 256; b++) {
      if (!rankOf.containsKey(String.valueOf((char) b))) {
        throw new InvalidInputException(source + ": byte " + b + " has no rank: a byte-level BPE needs all 256");
      }
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    List<String> merges = new ArrayList<>();
    for (int r = 0; r < ranks.size(); r++) {
      byte[] token = ranks.get(r);
      vocab.put(ByteLevelBpeJson.toByteLevel(token), r);
      if (token.length < 2) continue;
      List<int[]> splits = new ArrayList<>(); // {rank left, rank right, split index}
      for (int i = 1; i < token.length; i++) {
        Integer left = rankOf.get(latin1(Arrays.copyOfRange(token, 0, i)));
        Integer right = rankOf.get(latin1(Arrays.copyOfRange(token, i, token.length)));
        if (left != null && right != null) splits.add(new int[] {left, right, i});
      }
      splits.sort(Comparator.<int[]>comparingInt(s -> s[0]).thenComparingInt(s -> s[1]));
      for (int[] s : splits) {
        merges.add(ByteLevelBpeJson.toByteLevel(Arrays.copyOfRange(token, 0, s[2])) + " "
            + ByteLevelBpeJson.toByteLevel(Arrays.copyOfRange(token, s[2], token.length)));
      }
    }
    for (Map.Entry<String, Integer> e : family.specials().entrySet()) {
      if (e.getValue() < ranks.size()) {
        throw new InvalidInputException(source + ": special token " + e.getKey() + " (id " + e.getValue()
            + ") collides with the ranks 0.." + (ranks.size() - 1));
      }
    }
    return ByteLevelBpeJson.build(vocab, merges, family.specials(), true, family.pattern(), true);
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
