package org.moellava.checkpoint;

import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.tensor.TensorValue;

/**
 * A read-only map of checkpoint variables that restores each one when asked for ({@link CheckpointReader#lazyVariables}).
 * Small values are cached; large ones are read again on every {@link #get}, so only the variables a caller holds at
 * the moment are in memory.
 */
final class LazyVariables extends AbstractMap<String, TensorValue>
    implements org.moellava.graph.variables.DirectWeights {
  /** Values of at most this many bytes are kept after their first read. */
  static final long CACHE_LIMIT = 4L << 20;

  private final Path prefix;
  private final Map<String, VariableSpec> specs;
  private final Map<String, TensorValue> cache = new HashMap<>();

  LazyVariables(Path prefix, Map<String, VariableSpec> specs) {
    this.prefix = prefix;
    this.specs = specs;
  }

  @Override
  public TensorValue get(Object key) {
    VariableSpec spec = specs.get(key);
    if (spec == null) return null;
    TensorValue cached = cache.get(key);
    if (cached != null) return cached;
    TensorValue value = TfVariableStore.restore(prefix, List.of(spec)).get(spec.name());
    if (4L * value.data().length <= CACHE_LIMIT) cache.put(spec.name(), value);
    return value;
  }

  @Override
  public long[] shape(String name) {
    VariableSpec spec = specs.get(name);
    return spec == null ? null : spec.shapeArray();
  }

  /** Restores {@code name} into a native tensor for {@code use}, bypassing the heap and the cache. */
  @Override
  public void withTensor(String name, java.util.function.Consumer<org.tensorflow.types.TFloat32> use) {
    VariableSpec spec = specs.get(name);
    if (spec == null) {
      throw new org.moellava.error.InvalidInputException("the checkpoint has no variable '" + name + "'");
    }
    TfVariableStore.restoreInto(prefix, spec, use);
  }

  @Override
  public boolean containsKey(Object key) {
    return specs.containsKey(key);
  }

  @Override
  public int size() {
    return specs.size();
  }

  @Override
  public boolean isEmpty() {
    return specs.isEmpty();
  }

  @Override
  public Set<String> keySet() {
    return Collections.unmodifiableSet(specs.keySet());
  }

  /** Refused: iterating the entries would read every variable at once; ask for each by name. */
  @Override
  public Set<Map.Entry<String, TensorValue>> entrySet() {
    throw new UnsupportedOperationException("checkpoint variables are read one at a time; ask for each by name");
  }
}
