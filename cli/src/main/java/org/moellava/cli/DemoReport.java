package org.moellava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/** {@code report.md}: the demo's figures, the dense-vs-MoE comparison and the routing plots. */
final class DemoReport {
  private DemoReport() {}

  static String markdown(DemoSummary s, Path runDir) {
    StringBuilder md = new StringBuilder("# moellava demo report\n\n");
    md.append(s.quick ? "Shortened run (`--quick`): a few steps per stage; quality is not judged.\n\n"
        : "Full run of the built-in `tiny` model on this machine.\n\n");
    md.append("## Results\n\n```\n").append(s.table()).append("```\n\n");
    md.append("## Dense vs sparse\n\n");
    if (s.models.containsKey("dense") && s.models.containsKey("moe")) {
      double d = s.models.get("dense").vqa().overall().value();
      double m = s.models.get("moe").vqa().overall().value();
      md.append(String.format(Locale.ROOT, "VQA accuracy: dense (stage II) %.3f, MoE (stage III) %.3f. ", d, m));
      md.append(m >= d
          ? "The sparse model matches or beats the dense one, as the paper claims.\n\n"
          : "The sparse model is below the dense one here, against the paper's claim.\n\n");
    }
    md.append("## Routing analysis\n\n");
    Path routing = runDir.resolve("routing");
    if (Files.isDirectory(routing)) {
      try (Stream<Path> pngs = Files.list(routing)) {
        pngs.filter(p -> p.toString().endsWith(".png")).sorted().forEach(p ->
            md.append("![").append(p.getFileName()).append("](routing/").append(p.getFileName()).append(")\n\n"));
      } catch (java.io.IOException e) {
        md.append("(routing plots unreadable: ").append(e.getMessage()).append(")\n\n");
      }
    }
    md.append("Raw figures: `summary.json`, `eval/*.json`, `conformance.json`, `routing/routing.json`.\n");
    return md.toString();
  }
}
