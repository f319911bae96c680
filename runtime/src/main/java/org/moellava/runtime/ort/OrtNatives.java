package org.moellava.runtime.ort;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.moellava.io.AtomicFiles;
import org.moellava.io.NativeEnvironment;

/**
 * Loads ONNX Runtime's native libraries from the project's cache instead of a new temporary folder per process.
 * Left alone, ONNX Runtime's Java loader copies them into {@code /tmp/onnxruntime-java<random>} on every start and
 * leaves that folder behind. Here they are copied once, per ONNX Runtime version and platform, to
 * {@code <cache>/onnxruntime/<version>/<os-arch>/} ({@link NativeEnvironment#cacheRoot}), and the system property
 * {@code onnxruntime.native.path} points ONNX Runtime there. A user who set that property keeps their choice.
 */
public final class OrtNatives {
  /** ONNX Runtime's system property naming the directory of its native libraries. */
  public static final String NATIVE_PATH = "onnxruntime.native.path";
  private static boolean configured;

  private OrtNatives() {}

  /** Points ONNX Runtime at the cached libraries (copying them there the first time); call before any ORT class. */
  public static synchronized void configure() {
    if (configured || System.getProperty(NATIVE_PATH) != null) {
      configured = true;
      return;
    }
    configured = true;
    String platform = platform();
    String prefix = "ai/onnxruntime/native/" + platform + "/";
    URL probe = OrtNatives.class.getClassLoader().getResource(prefix + System.mapLibraryName("onnxruntime"));
    if (probe == null || !"jar".equals(probe.getProtocol())) return; // not in a jar: ORT's own search applies
    Path dir = NativeEnvironment.cacheRoot().resolve("onnxruntime");
    try {
      JarURLConnection connection = (JarURLConnection) probe.openConnection();
      connection.setUseCaches(false);
      try (JarFile jar = connection.getJarFile()) {
        String version = jar.getManifest() == null ? null
            : jar.getManifest().getMainAttributes().getValue("Implementation-Version");
        dir = dir.resolve(version == null ? "unversioned" : version).resolve(platform);
        extract(jar, prefix, dir);
      }
      System.setProperty(NATIVE_PATH, dir.toString());
    } catch (IOException | RuntimeException e) {
      // The cache is an optimisation: without it ONNX Runtime still loads through its own temporary folder.
      System.err.println("moellava: note: ONNX Runtime natives not cached in " + dir + " (" + e.getMessage()
          + "); ONNX Runtime will unpack them to a temporary folder");
    }
  }

  /** Copies every library under {@code prefix} whose cached copy is missing or of another size, atomically. */
  private static void extract(JarFile jar, String prefix, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
      JarEntry entry = entries.nextElement();
      String name = entry.getName();
      if (entry.isDirectory() || !name.startsWith(prefix) || name.substring(prefix.length()).contains("/")) continue;
      Path target = dir.resolve(name.substring(prefix.length()));
      if (Files.isRegularFile(target) && Files.size(target) == entry.getSize()) continue;
      Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
      try (InputStream in = jar.getInputStream(entry)) {
        Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        AtomicFiles.deleteRecursively(temp);
      }
    }
  }

  /** ONNX Runtime's name for this platform ({@code linux-x64}, {@code linux-aarch64}, {@code osx-aarch64}, ...). */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win" : "linux";
    String a = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64"
        : arch.startsWith("aarch64") || arch.startsWith("arm64") ? "aarch64" : arch;
    return o + "-" + a;
  }
}
