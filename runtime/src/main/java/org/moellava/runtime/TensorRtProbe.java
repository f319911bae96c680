package org.moellava.runtime;

import org.moellava.io.NativeEnvironment;

/**
 * Whether TensorRT can load in this process, probed once and cached. Loading the bytedeco TensorRT bindings
 * fails with {@link UnsatisfiedLinkError} where no GPU driver or TensorRT 10.6 library exists; the probe turns
 * that into a reason a user can read ("libcuda.so.1 not found"). Tests use it for {@code assumeTrue}, the CLI
 * for a clear message. The probe uses reflection so that modules without the TensorRT bindings can ask too.
 */
public final class TensorRtProbe {
  private static final String NVINFER = "org.bytedeco.tensorrt.global.nvinfer";

  /**
   * The probe's answer.
   *
   * @param available whether TensorRT loaded
   * @param reason why not, or the loaded version when available
   */
  public record Availability(boolean available, String reason) {}

  private static volatile Availability cached;

  private TensorRtProbe() {}

  /** The cached probe result; the first call loads (or fails to load) the native libraries. */
  public static Availability availability() {
    Availability a = cached;
    if (a == null) {
      synchronized (TensorRtProbe.class) {
        if (cached == null) cached = probe();
        a = cached;
      }
    }
    return a;
  }

  private static Availability probe() {
    NativeEnvironment.configure();
    Class<?> nvinfer;
    try {
      nvinfer = Class.forName(NVINFER, false, TensorRtProbe.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return new Availability(false, "the TensorRT Java bindings (org.bytedeco:tensorrt) are not on the classpath");
    }
    try {
      Class<?> loader = Class.forName("org.bytedeco.javacpp.Loader");
      loader.getMethod("load", Class.class).invoke(null, nvinfer);
      Object version = nvinfer.getMethod("getInferLibVersion").invoke(null);
      return new Availability(true, "TensorRT " + formatVersion(((Number) version).intValue()));
    } catch (java.lang.reflect.InvocationTargetException e) {
      return new Availability(false, reasonOf(e.getCause()));
    } catch (ReflectiveOperationException | LinkageError e) {
      return new Availability(false, reasonOf(e));
    }
  }

  /** The most specific missing-library message in the cause chain, e.g. "libcuda.so.1 not found". */
  static String reasonOf(Throwable t) {
    String best = null;
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m == null) continue;
      java.util.regex.Matcher lib = java.util.regex.Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]*)").matcher(m);
      String found = null;
      while (lib.find()) found = lib.group(1);
      if (found != null && (m.contains("cannot open shared object") || m.contains("no ") || m.contains("not found"))) {
        best = found + " not found";
      } else if (best == null) {
        best = m.lines().findFirst().orElse(m);
      }
    }
    return best == null ? t.getClass().getSimpleName() : best;
  }

  private static String formatVersion(int v) {
    // NV_TENSORRT_VERSION = major * 10000 + minor * 100 + patch (TensorRT 10)
    return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
  }
}
