package org.moellava.serve.engine;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.runtime.ModelInfo;

/**
 * Automatic prefix caching (vLLM's): the keys and values of prompt positions, kept in blocks of
 * {@link #BLOCK_TOKENS} after a request has computed them, so that a later prompt that starts with the same tokens
 * (a system prompt, an image and its question, the earlier turns of a chat) copies them instead of computing them.
 *
 * <p>A block is named by a chained hash: SHA-256 over the previous block's name, the block's token ids and, when
 * the block holds image tokens, the digest of the image's pixel values. So a block's name fixes every token and
 * image before it, which is everything its keys and values depend on (causal attention; position ids are the
 * block's place in the chain). Only full blocks are kept; at least the last prompt token is always computed
 * (its logits give the first token). Bounded in bytes, least recently used blocks evicted first. Scheduler
 * thread only.
 */
final class PrefixCache {
  /** Positions per block. */
  static final int BLOCK_TOKENS = 16;

  private final int imageTokenId;
  private final long capacityBytes;
  private final long blockBytes;
  private final LinkedHashMap<BlockName, Block> blocks = new LinkedHashMap<>(64, 0.75f, true); // LRU order
  private long hitTokens;
  private long evictions;

  /** A block's name: the first 128 bits of its chained SHA-256. */
  record BlockName(long high, long low) {}

  /** The keys and values of {@link #BLOCK_TOKENS} positions, per layer {@code [Hkv, BLOCK_TOKENS, hd]}. */
  record Block(float[][] keys, float[][] values) {}

  PrefixCache(ModelInfo info, long capacityBytes) {
    this.imageTokenId = info.imageTokenId();
    this.capacityBytes = capacityBytes;
    // keys and values, per layer [Hkv, BLOCK_TOKENS, hd] floats
    this.blockBytes = 2L * info.numLayers() * info.numKeyValueHeads() * BLOCK_TOKENS * info.headDim() * Float.BYTES;
  }

  /** Bytes one block holds. */
  long blockBytes() {
    return blockBytes;
  }

  /** Blocks held. */
  int size() {
    return blocks.size();
  }

  /** Prompt tokens served from the cache so far. */
  long hitTokens() {
    return hitTokens;
  }

  /** Blocks evicted so far. */
  long evictions() {
    return evictions;
  }

  /** The names of the full blocks of {@code tokens[0, length)}. */
  List<BlockName> names(int[] tokens, int length, byte[] imageDigest) {
    MessageDigest sha = sha256();
    List<BlockName> names = new ArrayList<>(length / BLOCK_TOKENS);
    byte[] parent = new byte[32];
    ByteBuffer ids = ByteBuffer.allocate(BLOCK_TOKENS * Integer.BYTES);
    for (int block = 0; block + 1 <= length / BLOCK_TOKENS; block++) {
      ids.clear();
      boolean hasImage = false;
      for (int t = block * BLOCK_TOKENS; t < (block + 1) * BLOCK_TOKENS; t++) {
        ids.putInt(tokens[t]);
        hasImage |= tokens[t] == imageTokenId;
      }
      sha.update(parent);
      sha.update(ids.array());
      if (hasImage) {
        if (imageDigest == null) {
          throw new IllegalStateException("a prompt with image tokens needs its image's digest");
        }
        sha.update(imageDigest);
      }
      parent = sha.digest();
      ByteBuffer name = ByteBuffer.wrap(parent);
      names.add(new BlockName(name.getLong(), name.getLong()));
    }
    return names;
  }

  /**
   * How many prompt positions may come from the cache: whole blocks, at most all but the last prompt token, and
   * never splitting the image's tokens (its features are computed for all of them or none).
   */
  static int reusableLength(int[] prompt, int imageTokenId) {
    int length = (prompt.length - 1) / BLOCK_TOKENS * BLOCK_TOKENS;
    ImageSpan image = ImageSpan.find(prompt, 0, imageTokenId);
    if (image != null && image.splitBy(length)) {
      length = image.first() / BLOCK_TOKENS * BLOCK_TOKENS;
    }
    return length;
  }

  /** The cached blocks that start {@code names}, in order, as long as they run without a gap. */
  List<Block> lookup(List<BlockName> names) {
    List<Block> found = new ArrayList<>();
    for (BlockName name : names) {
      Block block = blocks.get(name);
      if (block == null) {
        break;
      }
      found.add(block);
    }
    touchHeadLast(names.subList(0, found.size()));
    hitTokens += (long) found.size() * BLOCK_TOKENS;
    return found;
  }

  /**
   * Keeps the blocks of {@code cache} named by {@code names} that are not kept yet. Room is made by evicting the
   * least recently used blocks of other chains; a chain's own blocks are never evicted for its later blocks (a
   * chain without its head is useless), so a chain longer than the cache keeps its head.
   */
  void store(List<BlockName> names, KvCache cache) {
    java.util.Set<BlockName> chain = new java.util.HashSet<>(names);
    for (int block = 0; block < names.size(); block++) {
      BlockName name = names.get(block);
      if (blocks.containsKey(name)) {
        continue;
      }
      if (!makeRoom(chain)) {
        break;
      }
      blocks.put(name, cache.copyBlock(block * BLOCK_TOKENS, BLOCK_TOKENS));
    }
    touchHeadLast(names);
  }

  /** Evicts least recently used blocks outside {@code keep} until one more block fits; false if none can go. */
  private boolean makeRoom(java.util.Set<BlockName> keep) {
    Iterator<Map.Entry<BlockName, Block>> oldest = blocks.entrySet().iterator();
    while ((long) (blocks.size() + 1) * blockBytes > capacityBytes) {
      if (!oldest.hasNext()) {
        return false;
      }
      if (!keep.contains(oldest.next().getKey())) {
        oldest.remove();
        evictions++;
      }
    }
    return true;
  }

  /**
   * Marks a chain's blocks used, its head last, so that eviction takes a chain from its tail: the blocks that
   * fewer prompts share go first (vLLM frees a request's blocks in reverse order for the same reason).
   */
  private void touchHeadLast(List<BlockName> chain) {
    for (int i = chain.size() - 1; i >= 0; i--) {
      blocks.get(chain.get(i));
    }
  }

  /** SHA-256 of an image's pixel values, which fix its features. */
  static byte[] imageDigest(float[] pixels) {
    MessageDigest sha = sha256();
    ByteBuffer chunk = ByteBuffer.allocate(4096 * Float.BYTES);
    for (int i = 0; i < pixels.length; ) {
      chunk.clear();
      int n = Math.min(4096, pixels.length - i);
      for (int j = 0; j < n; j++) {
        chunk.putInt(Float.floatToRawIntBits(pixels[i + j]));
      }
      sha.update(chunk.array(), 0, n * Float.BYTES);
      i += n;
    }
    return sha.digest();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
