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

  /** Reads {@code PKG/model.json}; any problem is an error naming the file. */
  public static PackageManifest read(Path packageDir) {
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
      m = MAPPER.readValue(text, PackageManifest.class);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(file + ": invalid model.json: " + JsonErrors.describe(e), e);
    }
    if (m.formatVersion() != PackageManifest.FORMAT_VERSION) {
      throw new InvalidInputException(file + ": format_version " + m.formatVersion() + " is not supported (expected "
          + PackageManifest.FORMAT_VERSION + ")");
    }
    ConfigValidator.validate(m.config(), file + " config");
    for (var e : m.files().entrySet()) {
      if (!Files.isRegularFile(packageDir.resolve(e.getValue()))) {
        throw new InvalidInputException(packageDir + ": file '" + e.getValue() + "' (" + e.getKey()
            + ") listed in model.json is missing");
      }
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

  /** Writes {@code dir/model.json} atomically. */
  public static void write(PackageManifest manifest, Path dir) {
    AtomicFiles.writeString(dir.resolve(PackageManifest.FILE_NAME), toJson(manifest));
  }
}
