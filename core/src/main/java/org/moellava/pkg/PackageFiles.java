package org.moellava.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.moellava.error.InvalidInputException;

/**
 * The files of a model package: names that must stay inside it, and their SHA-256 hashes, recorded at export and
 * checked at load so that a corrupted or altered file (64 flipped bytes in {@code decoder.onnx} served silently
 * before) is refused instead of run. A file already verified in this process, unchanged in size and modification
 * time, is not hashed again.
 */
public final class PackageFiles {
  private static final Map<String, String> VERIFIED = new ConcurrentHashMap<>();

  private PackageFiles() {}

  /**
   * The package file {@code name} (as {@code model.json} lists it) inside {@code packageDir}; refuses an absolute
   * name, one with {@code ..}, or one that a link takes outside the package.
   *
   * @param field the {@code model.json} field that named it, for the message
   */
  public static Path resolveInside(Path packageDir, String name, String field) {
    Path relative;
    try {
      relative = Path.of(name);
    } catch (RuntimeException e) {
      throw new InvalidInputException(packageDir.resolve(PackageManifest.FILE_NAME) + ": " + field + " '" + name
          + "' is not a valid file name");
    }
    if (name.isBlank() || relative.isAbsolute() || relative.normalize().startsWith("..")
        || !relative.normalize().equals(relative) || name.contains("\\")) {
      throw new InvalidInputException(packageDir.resolve(PackageManifest.FILE_NAME) + ": " + field + " '" + name
          + "' must be a plain relative path inside the package");
    }
    Path file = packageDir.resolve(relative);
    try {
      if (Files.exists(file) && !file.toRealPath().startsWith(packageDir.toRealPath())) {
        throw new InvalidInputException(packageDir.resolve(PackageManifest.FILE_NAME) + ": " + field + " '" + name
            + "' leads outside the package");
      }
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot resolve: " + e.getMessage(), e);
    }
    return file;
  }

  /** SHA-256 of every regular file under {@code packageDir} but {@code model.json}, by relative path ({@code /}). */
  public static Map<String, String> hashAll(Path packageDir) {
    Map<String, String> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(packageDir)) {
      files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    } catch (IOException e) {
      throw new InvalidInputException(packageDir + ": cannot list the package: " + e.getMessage(), e);
    }
    for (Path file : files) {
      String name = packageDir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
      if (!name.equals(PackageManifest.FILE_NAME)) out.put(name, sha256(file));
    }
    return out;
  }

  /** Checks every recorded hash; throws naming the first file that is missing or differs. */
  public static void verify(Path packageDir, Map<String, String> expected) {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path file = resolveInside(packageDir, e.getKey(), "sha256 entry");
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(file + ": listed in model.json's sha256 but missing from the package");
      }
      String key = cacheKey(file, e.getValue());
      if (key != null && VERIFIED.containsKey(key)) continue;
      String actual = sha256(file);
      if (!actual.equalsIgnoreCase(e.getValue())) {
        throw new InvalidInputException(file + ": SHA-256 " + actual + " differs from " + e.getValue()
            + " recorded at export: the file is corrupt or was changed; re-export the package");
      }
      if (key != null) VERIFIED.put(key, actual);
    }
  }

  private static String cacheKey(Path file, String hash) {
    try {
      return file.toRealPath() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis() + "|"
          + hash.toLowerCase(java.util.Locale.ROOT);
    } catch (IOException e) {
      return null;
    }
  }

  /** Hex SHA-256 of a file's bytes, streamed. */
  public static String sha256(Path file) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
