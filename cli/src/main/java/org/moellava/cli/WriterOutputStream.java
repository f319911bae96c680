package org.moellava.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Forwards UTF-8 bytes to a command's writer line by line, so code that logs to a {@code PrintStream} (training,
 * the demo) writes where picocli's output goes (and where tests capture it).
 */
final class WriterOutputStream extends OutputStream {
  private final PrintWriter writer;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  WriterOutputStream(PrintWriter writer) {
    this.writer = writer;
  }

  @Override
  public void write(int b) {
    line.write(b);
    if (b == '\n') flush();
  }

  @Override
  public void flush() {
    writer.write(line.toString(StandardCharsets.UTF_8));
    writer.flush();
    line.reset();
  }

  @Override
  public void close() {
    flush();
  }
}
