package org.moellava.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The project version, filtered into {@code version.properties} by Maven at build time. */
public final class ProjectVersion implements IVersionProvider {
  /** The project version string, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    Properties p = new Properties();
    try (InputStream in = ProjectVersion.class.getResourceAsStream("version.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }

  @Override
  public String[] getVersion() {
    return new String[] {"moellava " + get()};
  }
}
