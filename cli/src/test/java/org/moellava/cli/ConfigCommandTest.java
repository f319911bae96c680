package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.Presets;

class ConfigCommandTest {
  @TempDir Path dir;

  @Test
  void showPrintsAConfigThatValidates() throws Exception {
    CliRunner r = CliRunner.run("config", "show", "tiny");
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(Presets.get("tiny"), ModelConfigIO.parse(r.out(), "stdout"));
    Path file = dir.resolve("config.json");
    Files.writeString(file, r.out());
    CliRunner v = CliRunner.run("config", "validate", file.toString());
    assertEquals(0, v.exitCode(), v.err());
    assertTrue(v.out().contains("valid"), v.out());
  }

  @Test
  void invalidConfigIsOneLineExitTwoNoStackTrace() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, ModelConfigIO.toJson(Presets.get("tiny")).replace("\"num_key_value_heads\" : 2", "\"num_key_value_heads\" : 3"));
    CliRunner r = CliRunner.run("config", "validate", file.toString());
    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("text_config.num_key_value_heads"), r.err());
    assertFalse(r.err().contains("at org."), r.err());
    assertEquals("", r.out());
  }

  @Test
  void missingFileIsExitTwo() {
    CliRunner r = CliRunner.run("config", "validate", dir.resolve("absent.json").toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("config file not found"), r.err());
  }

  @Test
  void debugPrintsTheStackTrace() {
    CliRunner r = CliRunner.run("--debug", "config", "show", "nonexistent-preset.json");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("at org.moellava"), r.err());
  }

  @Test
  void unknownSubcommandIsUsageError() {
    CliRunner r = CliRunner.run("config", "frobnicate");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().startsWith("moellava: usage error:"), r.err());
  }

  @Test
  void paramsOfThePublishedShape() {
    CliRunner r = CliRunner.run("config", "params", "moe-llava-qwen-1.8b-4e");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("LLM: 3.05 B total, 2.24 B activated per token"), r.out());
    assertTrue(r.out().contains("experts"), r.out());
  }
}
