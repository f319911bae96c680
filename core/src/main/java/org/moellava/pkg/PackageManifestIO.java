package org.moellava.pkg;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.moellava.config.ConfigValidator;
import org.moellava.error.InvalidInputException;
import org.moellava.io.AtomicFiles;

/** Reads and writes a package's {@code model.json}. */
public final class PackageManifestIO {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private PackageManifestIO() {}

  /** Whether {@link #read} checks the recorded SHA-256 of every package file. */
  public enum Integrity {
    /** Hash every file and compare (the default; about 1 s per GB, once per file and process). */
    VERIFY,
    /** Skip the hashes: a fast path for a package the caller has just verified or written itself. */
    SKIP
  }

  /** Reads {@code PKG/model.json} and verifies the package's files against it; any problem names the file. */
  public static PackageManifest read(Path packageDir) {
    return read(packageDir, Integrity.VERIFY);
  }

  /**
   * Reads {@code PKG/model.json}: parses it strictly, checks every value against the model config it carries,
   * refuses file names outside the package, and (with {@link Integrity#VERIFY}) compares every file's SHA-256 with
   * the one recorded at export.
   */
  public static PackageManifest read(Path packageDir, Integrity integrity) {
    Path file = packageDir.resolve(PackageManifest.FILE_NAME);
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": not found; is " + packageDir + " a model package (moellava export)?");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + JsonErrors.describe(e), e);
    }
    PackageManifest m;
    try {
      com.fasterxml.jackson.databind.JsonNode tree = MAPPER.readTree(text);
      if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode object && !object.has("sha256")) {
        object.putNull("sha256"); // an older export: refused below with a message that says so
      }
      if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode object && !object.has("quantization")) {
        object.putNull("quantization"); // optional: absent in fp32 and fp16 packages
      }
      if (tree != null && tree.get("quantization") instanceof com.fasterxml.jackson.databind.node.ObjectNode q
          && !q.has("format")) {
        q.putNull("format"); // optional: absent in blockwise (qoperator) packages
      }
      if (tree != null) org.moellava.config.ModelConfigIO.withArchitectureDefaults(tree.get("config"));
      m = MAPPER.treeToValue(tree, PackageManifest.class);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(file + ": invalid model.json: " + JsonErrors.describe(e), e);
    }
    if (m.formatVersion() != PackageManifest.FORMAT_VERSION) {
      throw new InvalidInputException(file + ": format_version " + m.formatVersion() + " is not supported (expected "
          + PackageManifest.FORMAT_VERSION + ")");
    }
    ConfigValidator.validate(m.config(), file + " config");
    PackageManifestChecks.check(m, file);
    for (var e : m.files().entrySet()) {
      Path listed = PackageFiles.resolveInside(packageDir, e.getValue(), "files." + e.getKey());
      if (!Files.isRegularFile(listed)) {
        throw new InvalidInputException(packageDir + ": file '" + e.getValue() + "' (" + e.getKey()
            + ") listed in model.json is missing");
      }
    }
    if (integrity == Integrity.VERIFY) {
      if (m.sha256() == null) {
        throw new InvalidInputException(file + ": records no SHA-256 of the package files (written by an older "
            + "export); re-export the package, or open it without verification");
      }
      for (String role : m.files().values()) {
        if (!m.sha256().containsKey(role)) {
          throw new InvalidInputException(file + ": sha256 has no entry for '" + role + "'");
        }
      }
      PackageFiles.verify(packageDir, m.sha256());
    }
    return m;
  }

  /** The manifest as JSON. */
  public static String toJson(PackageManifest manifest) {
    try {
      return MAPPER.writeValueAsString(manifest) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise model.json", e);
    }
  }

  /**
   * Writes {@code dir/model.json} atomically, recording the SHA-256 of every other file now in {@code dir}: write it
   * last, when the package's files are complete.
   */
  public static void write(PackageManifest manifest, Path dir) {
    AtomicFiles.writeString(dir.resolve(PackageManifest.FILE_NAME),
        toJson(manifest.withSha256(PackageFiles.hashAll(dir))));
  }
}
