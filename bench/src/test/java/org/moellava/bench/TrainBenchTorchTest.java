package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;

/** {@code bench train}'s PyTorch comparison: bad input, and (heavy) the same step-1 loss as transformers. */
class TrainBenchTorchTest {

  @Test
  void aPythonNamedExplicitlyThatCannotImportTorchIsAOneLineError() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TorchTrainer.find(TorchTrainer.Choice.of("/nonexistent/python")));
    assertTrue(e.getMessage().startsWith("/nonexistent/python cannot import torch, transformers and safetensors ("),
        e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void roundsAndStepsAreCheckedBeforeAnyTraining() {
    StringWriter notes = new StringWriter();
    InvalidInputException rounds = assertThrows(InvalidInputException.class, () -> TrainBench.run("tiny",
        Presets.resolve("tiny"), 10, true, null, 0, new PrintWriter(notes)));
    assertEquals("--torch-rounds must be at least 1, got 0", rounds.getMessage());
    InvalidInputException steps = assertThrows(InvalidInputException.class, () -> TrainBench.run("tiny",
        Presets.resolve("tiny"), 3, true, null, 1, new PrintWriter(notes)));
    assertEquals("--steps must exceed the 3 warm-up steps for the PyTorch comparison, got 3", steps.getMessage());
  }

  /**
   * Stage II's first step on the same weights and batch: TF's loss equals transformers' (an independent
   * implementation of the same model) within 1e-5 relative; stage III's cross-entropy within 1e-2 (TF drops
   * over-capacity assignments, transformers' Qwen2-MoE does not). Needs MOELLAVA_PYTHON with torch + transformers.
   */
  @Test
  @Tag("heavy")
  void stageTwoStartsFromTheSameLossAsPyTorch() {
    TorchTrainer.Found found = TorchTrainer.find(TorchTrainer.Choice.of(null));
    if (found.trainer() == null) System.out.println("skipped: " + found.skipReason());
    Assumptions.assumeTrue(found.trainer() != null, "no Python with torch: " + found.skipReason());
    StringWriter notes = new StringWriter();
    BenchResult r = TrainBench.run("tiny", Presets.resolve("tiny"), 5, true, null, 1, new PrintWriter(notes));
    double tf2 = figure(r, "tiny stage2 vs PyTorch eager (5 steps, 2 timed, 1 rounds): step-1 loss TF");
    double pt2 = figure(r, "tiny stage2 vs PyTorch eager (5 steps, 2 timed, 1 rounds): step-1 loss PyTorch");
    assertEquals(pt2, tf2, 1e-5 * pt2, "stage II step-1 loss");
    double tf3 = figure(r, "tiny stage3 vs PyTorch eager (5 steps, 2 timed, 1 rounds): step-1 ce TF");
    double pt3 = figure(r, "tiny stage3 vs PyTorch eager (5 steps, 2 timed, 1 rounds): step-1 ce PyTorch");
    assertEquals(pt3, tf3, 1e-2 * pt3, "stage III step-1 cross-entropy");
    assertEquals(2, r.ratios().size());
    assertTrue(r.ratios().stream().allMatch(x -> x.value() > 0 && Double.isFinite(x.value())), r.table());
  }

  private static double figure(BenchResult r, String name) {
    return r.figures().stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no figure '" + name + "' in\n" + r.table())).value();
  }
}
