package org.moellava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.moellava.error.InvalidInputException;

/**
 * The transformers side of {@code bench backends}' decode comparison: {@code tools/bench/hf_decode.py} (shipped in
 * this jar) running in a Python with torch and transformers over an {@code export hf} folder, kept open for the whole
 * run and driven one round at a time, so that its rounds interleave with the Java backends' rounds.
 *
 * <p>A Python that starts but cannot load torch/transformers or the model is {@link Unavailable}: the benchmark
 * reports the reason and goes on without the comparison.
 */
public final class TransformersDecode implements AutoCloseable {
  /** Environment variable naming the Python when {@code --python} is not given. */
  public static final String PYTHON_ENV = "MOELLAVA_PYTHON";
  private static final String SCRIPT = "python/hf_decode.py";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The Python could not run the script (no torch, no transformers, a model it cannot load). */
  public static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  /**
   * One generation.
   *
   * @param tokens the greedy tokens, the first from the prefill
   * @param prefillMillis the prompt's forward pass
   * @param decodeTokensPerSecond (tokens - 1) / time after the first token, NaN for a single token
   */
  public record Round(int[] tokens, double prefillMillis, double decodeTokensPerSecond) {}

  private final Process process;
  private final Path script;
  private final BufferedReader out;
  private final Writer in;
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private final Thread stderrPump;
  private String versions;

  private TransformersDecode(Process process, Path script) {
    this.process = process;
    this.script = script;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.stderrPump = new Thread(() -> pump(process.getErrorStream()), "hf-decode-stderr");
    this.stderrPump.setDaemon(true);
    this.stderrPump.start();
  }

  /**
   * The Python given by {@code --python}, else by {@value #PYTHON_ENV}, else null (the comparison is skipped).
   *
   * @throws InvalidInputException when the named Python is not an executable file
   */
  public static Path python(Path option) {
    Path python = option;
    String source = "--python";
    if (python == null) {
      String env = System.getenv(PYTHON_ENV);
      if (env == null || env.isBlank()) return null;
      python = Path.of(env);
      source = PYTHON_ENV;
    }
    if (!Files.isRegularFile(python) || !Files.isExecutable(python)) {
      throw new InvalidInputException(source + " " + python + ": not an executable file; give a Python with torch "
          + "and transformers (tools/fixtures/requirements.txt), e.g. /work/venv-torch/bin/python");
    }
    return python;
  }

  /**
   * Starts the script on {@code hfFolder} with {@code threads} torch threads; returns once the model is loaded.
   *
   * @throws Unavailable when the Python cannot import torch/transformers or load the folder (the reason is its
   *     last stderr line)
   */
  public static TransformersDecode start(Path python, Path hfFolder, int[] prompt, int newTokens, int threads)
      throws Unavailable {
    Path script;
    try (InputStream resource = TransformersDecode.class.getResourceAsStream(SCRIPT)) {
      if (resource == null) throw new IllegalStateException("the bench jar has no " + SCRIPT);
      script = Files.createTempFile("moellava-hf-decode", ".py");
      Files.copy(resource, script, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the transformers script to a temp file: " + e.getMessage(), e);
    }
    StringJoiner ids = new StringJoiner(",");
    for (int id : prompt) ids.add(Integer.toString(id));
    List<String> command = List.of(python.toString(), script.toString(), "--model", hfFolder.toString(),
        "--prompt", ids.toString(), "--new-tokens", Integer.toString(newTokens), "--threads", Integer.toString(threads));
    ProcessBuilder builder = new ProcessBuilder(command);
    // One thread count for every library torch may use (the bench's ORT sessions get the same).
    builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
    builder.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
    // OpenMP threads that block instead of spinning at their barriers, as the bench's ONNX Runtime sessions do
    // (OrtOptions.spinning): on this shared 2-core machine torch with 2 spinning threads decoded at 8-13 tokens/s
    // against 50-54 passive (README, bench section), a baseline no fair comparison may use.
    builder.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      deleteQuietly(script);
      throw new Unavailable(python + " did not start: " + e.getMessage());
    }
    TransformersDecode started = new TransformersDecode(process, script);
    try {
      JsonNode ready = started.readLine("ready");
      started.versions = "torch " + ready.path("torch").asText() + ", transformers "
          + ready.path("transformers").asText() + ", " + ready.path("threads").asInt() + " threads";
      return started;
    } catch (Unavailable e) {
      started.close();
      throw e;
    }
  }

  /** torch and transformers versions and the thread count, as the script reported them. */
  public String versions() {
    return versions;
  }

  /** Runs one generation. */
  public Round round() throws Unavailable {
    try {
      in.write("round\n");
      in.flush();
    } catch (IOException e) {
      throw new Unavailable("the transformers script ended: " + lastError());
    }
    JsonNode r = readLine("round");
    JsonNode tokens = r.path("tokens");
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) ids[i] = tokens.get(i).asInt();
    JsonNode rate = r.path("decode_tokens_per_second");
    return new Round(ids, r.path("prefill_ms").asDouble(), rate.isNumber() ? rate.asDouble() : Double.NaN);
  }

  private JsonNode readLine(String event) throws Unavailable {
    String line;
    try {
      line = out.readLine();
    } catch (IOException e) {
      line = null;
    }
    if (line == null) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
        stderrPump.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new Unavailable("the transformers script ended before '" + event + "': " + lastError());
    }
    try {
      JsonNode node = JSON.readTree(line);
      if (!event.equals(node.path("event").asText())) {
        throw new Unavailable("the transformers script said '" + line + "', expected the '" + event + "' event");
      }
      return node;
    } catch (IOException e) {
      throw new Unavailable("the transformers script printed a line that is not JSON: " + line);
    }
  }

  private String lastError() {
    synchronized (stderrTail) {
      for (var it = stderrTail.descendingIterator(); it.hasNext(); ) {
        String l = it.next().strip();
        if (!l.isEmpty() && !l.startsWith("warning:")) return l;
      }
    }
    return "(no error output; exit " + (process.isAlive() ? "pending" : process.exitValue()) + ")";
  }

  private void pump(InputStream err) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
      for (String l; (l = r.readLine()) != null; ) {
        synchronized (stderrTail) {
          stderrTail.addLast(l);
          while (stderrTail.size() > 20) stderrTail.removeFirst();
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /** Warnings the script printed (version mismatches), for the report. */
  public List<String> warnings() {
    List<String> w = new ArrayList<>();
    synchronized (stderrTail) {
      for (String l : stderrTail) if (l.startsWith("warning:")) w.add(l);
    }
    return w;
  }

  @Override
  public void close() {
    try {
      in.close(); // EOF: the script exits
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteQuietly(script);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a temp file
    }
  }
}
