package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The field table of docs/serving.md is {@link ChatField}, row for row, so the documented handling cannot drift from
 * the parser's. On a failure the message holds the table to paste.
 */
class ChatFieldTableTest {
  static final String SECTION = "## Request fields";

  /** The rows {@link ChatField} gives, in its order. */
  static List<String> expectedRows() {
    List<String> rows = new ArrayList<>();
    rows.add("| field | handling | what the server does |");
    rows.add("|---|---|---|");
    for (ChatField field : ChatField.values()) {
      rows.add("| `" + field.path() + "` | " + field.handling().label() + " | " + field.note() + " |");
    }
    return rows;
  }

  @Test
  void docsTableIsTheFieldList() throws Exception {
    Path docs = Path.of("..", "docs", "serving.md");
    assertTrue(Files.exists(docs), docs.toAbsolutePath().toString());
    List<String> lines = Files.readAllLines(docs);
    int start = lines.indexOf(SECTION);
    assertTrue(start >= 0, "docs/serving.md has no '" + SECTION + "' section");
    List<String> table = new ArrayList<>();
    for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
      if (lines.get(i).startsWith("|")) {
        table.add(lines.get(i));
      } else if (!table.isEmpty()) {
        break; // the first table of the section only
      }
    }
    assertEquals(String.join("\n", expectedRows()), String.join("\n", table),
        "docs/serving.md's field table differs from ChatField; the table should read:\n"
            + String.join("\n", expectedRows()));
  }
}
