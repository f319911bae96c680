package org.moellava.train.run;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a progress bar on a terminal, plain periodic log lines otherwise (CI, pipes).
 * Each update carries stage, step/total, loss, ce, aux, lr and tokens/s; the bar adds the ETA, the plain lines
 * compute it.
 */
public final class ProgressReporter implements AutoCloseable {
  private final String stage;
  private final long total;
  private final ProgressBar bar;
  private final PrintStream plain;
  private final long plainEvery;
  private final long startNanos = System.nanoTime();
  private final long startStep;

  private ProgressReporter(String stage, long startStep, long total, ProgressBar bar, PrintStream plain, long plainEvery) {
    this.stage = stage;
    this.startStep = startStep;
    this.total = total;
    this.bar = bar;
    this.plain = plain;
    this.plainEvery = plainEvery;
  }

  /** A bar when a terminal is attached, else plain lines on {@code out} about 20 times per stage. */
  public static ProgressReporter create(String stage, long startStep, long total, PrintStream out) {
    boolean terminal = System.console() != null && System.getenv("CI") == null;
    if (terminal) {
      ProgressBar bar = new ProgressBarBuilder().setTaskName(stage).setInitialMax(total)
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate().build();
      bar.stepTo(startStep);
      return new ProgressReporter(stage, startStep, total, bar, null, 0);
    }
    return new ProgressReporter(stage, startStep, total, null, out, Math.max(1, total / 20));
  }

  /** Reports the state after optimiser step {@code step} (1-based). */
  public void update(long step, double loss, double ce, double aux, double lr, double tokensPerSecond) {
    String extra = String.format(Locale.ROOT, "loss %.4f ce %.4f aux %.4f lr %.2e %.0f tok/s", loss, ce, aux, lr,
        tokensPerSecond);
    if (bar != null) {
      bar.stepTo(step);
      bar.setExtraMessage(" " + extra);
    } else if (step % plainEvery == 0 || step == total) {
      double elapsed = (System.nanoTime() - startNanos) / 1e9;
      long done = step - startStep;
      double eta = done > 0 ? elapsed / done * (total - step) : 0;
      plain.printf(Locale.ROOT, "[%s] step %d/%d %s eta %ds%n", stage, step, total, extra, Math.round(eta));
      plain.flush();
    }
  }

  @Override
  public void close() {
    if (bar != null) bar.close();
  }
}
