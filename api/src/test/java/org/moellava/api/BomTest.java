package org.moellava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** moellava-bom lists every artifact of the build, at the build's version (it has no parent to inherit it from). */
class BomTest {
  private static final Path ROOT = Path.of(System.getProperty("moellava.root", ".."));

  private static Document read(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static String child(Element parent, String name) {
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element e && e.getTagName().equals(name)) return e.getTextContent().strip();
    }
    return null;
  }

  @Test
  void bomListsEveryModuleAtTheParentsVersion() throws Exception {
    Document parent = read(ROOT.resolve("pom.xml"));
    String version = child(parent.getDocumentElement(), "version");
    Set<String> artifacts = new TreeSet<>();
    NodeList modules = parent.getElementsByTagName("module");
    for (int i = 0; i < modules.getLength(); i++) {
      String module = modules.item(i).getTextContent().strip();
      if (module.equals("bom")) continue;
      Document pom = read(ROOT.resolve(module).resolve("pom.xml"));
      String artifactId = child(pom.getDocumentElement(), "artifactId");
      Element parentRef = (Element) pom.getElementsByTagName("parent").item(0);
      assertEquals(version, child(parentRef, "version"), module + "'s parent version");
      artifacts.add(artifactId);
    }
    Document bom = read(ROOT.resolve("bom/pom.xml"));
    assertEquals(version, child(bom.getDocumentElement(), "version"), "moellava-bom's version");
    assertEquals("pom", child(bom.getDocumentElement(), "packaging"));
    Set<String> listed = new TreeSet<>();
    NodeList deps = bom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      assertEquals("org.moellava", child(d, "groupId"));
      assertEquals("${project.version}", child(d, "version"));
      listed.add(child(d, "artifactId"));
    }
    assertEquals(artifacts, listed, "moellava-bom's artifacts");
    assertTrue(listed.contains("moellava-api"));
  }

  @Test
  void legalFilesAreAtTheRoot() throws Exception {
    String license = Files.readString(ROOT.resolve("LICENSE"));
    assertTrue(license.contains("Apache License") && license.contains("Version 2.0, January 2004")
        && license.contains("END OF TERMS AND CONDITIONS"), "the full Apache-2.0 text");
    assertTrue(Files.readString(ROOT.resolve("NOTICE")).contains("Apache License, Version 2.0"));
  }
}
