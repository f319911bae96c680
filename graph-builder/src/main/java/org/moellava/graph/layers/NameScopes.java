package org.moellava.graph.layers;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.op.Ops;

/**
 * Hands out {@link Ops} that give the next op an exact full name such as {@code llm/layers_0/mlp/gate/kernel}.
 * TF Java accepts '/' only through sub-scopes, and it renames a sub-scope created twice ({@code a}, then
 * {@code a_1}); this cache creates each scope directory once per graph, so names stay exactly as requested.
 * One instance per graph.
 */
public final class NameScopes {
  private final Ops root;
  private final Map<String, Ops> scopes = new HashMap<>();

  public NameScopes(Ops root) {
    this.root = root;
  }

  /** Ops whose next created op is named exactly {@code fullName}. */
  public Ops named(String fullName) {
    int slash = fullName.lastIndexOf('/');
    Ops dir = slash < 0 ? root : scope(fullName.substring(0, slash));
    return dir.withName(fullName.substring(slash + 1));
  }

  /** Ops inside the scope directory {@code path} (ops created there get auto-generated names below it). */
  public Ops scope(String path) {
    Ops cached = scopes.get(path);
    if (cached != null) return cached;
    int slash = path.lastIndexOf('/');
    Ops parent = slash < 0 ? root : scope(path.substring(0, slash));
    Ops created = parent.withSubScope(path.substring(slash + 1));
    scopes.put(path, created);
    return created;
  }
}
