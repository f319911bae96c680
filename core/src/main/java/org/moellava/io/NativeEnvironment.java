package org.moellava.io;

import java.nio.file.Path;

/**
 * Process-wide native settings, applied before any native library loads. JavaCPP unpacks native libraries
 * (TensorFlow alone is about 680 MB) into a cache directory: by default {@code ~/.cache/moellava/javacpp},
 * configurable with the system property {@code moellava.cache} or the environment variable
 * {@code MOELLAVA_CACHE}. An explicit {@code org.bytedeco.javacpp.cachedir} wins over both.
 */
public final class NativeEnvironment {
  /** JavaCPP's own property for its cache directory. */
  public static final String JAVACPP_CACHEDIR = "org.bytedeco.javacpp.cachedir";

  private NativeEnvironment() {}

  /** Points JavaCPP at the project's cache directory unless the user chose one. Idempotent. */
  public static synchronized void configure() {
    if (System.getProperty(JAVACPP_CACHEDIR) == null) {
      System.setProperty(JAVACPP_CACHEDIR, cacheRoot().resolve("javacpp").toString());
    }
  }

  /** The project's cache root. */
  public static Path cacheRoot() {
    String prop = System.getProperty("moellava.cache");
    if (prop != null && !prop.isBlank()) return Path.of(prop);
    String env = System.getenv("MOELLAVA_CACHE");
    if (env != null && !env.isBlank()) return Path.of(env);
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("moellava");
  }
}
