package org.moellava.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.load.ServingModel;
import org.moellava.serve.load.ServingModels;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.prompt.ChatTemplate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava generate}: one answer to one question about one image, streamed to stdout. */
@Command(name = "generate", description = "Answer a question about an image; tokens stream to stdout.")
public final class GenerateCommand implements Runnable {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model;

  @Option(names = "--image", description = "The image (PNG, JPEG, GIF, BMP); leave out for a text-only prompt.")
  Path image;

  @Option(names = "--prompt", required = true, description = "The question (with --ids-only: token ids).")
  String prompt;

  @Option(names = "--max-tokens", defaultValue = "64", description = "Most tokens to generate.")
  int maxTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy.")
  double temperature;

  @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass.")
  double topP;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampler.")
  long seed;

  @Option(names = "--ids-only", description = "For a model without tokenizer.json: --prompt is token ids "
      + "(space or comma separated), the image tokens go first, and the answer is printed as token ids.")
  boolean idsOnly;

  @Override
  public void run() {
    if (maxTokens < 1) throw new InvalidInputException("--max-tokens must be >= 1, got " + maxTokens);
    SamplingParams sampling = new SamplingParams(temperature, topP, 0, seed, maxTokens, List.of()); // checked first
    byte[] imageBytes = readImage();
    try (ServingModel m = ServingModels.open(model.request(idsOnly))) {
      ModelInfo info = m.backend().info();
      float[] pixels = imageBytes == null ? null
          : m.imageDecoder(ImageFiles.DEFAULT_MAX_PIXELS, Integer.MAX_VALUE).decode(imageBytes);
      int[] ids = m.idsOnly() ? idsOnlyPrompt(m, info, pixels != null)
          : new ChatTemplate(m.tokenizer(), info, m.systemPrompt())
              .build(List.of(new ChatMessage("user", prompt, pixels != null)));
      PrintWriter out = spec.commandLine().getOut();
      try (GenerationEngine engine = new GenerationEngine(m.backend(), m.decoder(), new EngineConfig(1, 1),
          new EngineObserver() {})) {
        CompletableFuture<GenerationResult> done = engine.generate(new GenerationRequest("cli", ids, pixels, sampling),
            token -> {
              out.print(token.textDelta());
              out.flush();
            });
        GenerationResult r = done.get();
        out.println();
        spec.commandLine().getErr().printf(Locale.ROOT, "[%d prompt tokens, %d generated, finish: %s, %s, "
            + "first token %.1f ms]%n", r.promptTokens(), r.completionTokens(),
            r.finishReason().name().toLowerCase(Locale.ROOT), m.backend().name(), r.timeToFirstTokenNanos() / 1e6);
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int[] idsOnlyPrompt(ServingModel m, ModelInfo info, boolean withImage) {
    int[] text = m.tokenizer().encode(prompt);
    int p = withImage ? info.numImageTokens() : 0;
    int[] ids = new int[p + text.length];
    java.util.Arrays.fill(ids, 0, p, info.imageTokenId());
    System.arraycopy(text, 0, ids, p, text.length);
    if (ids.length == 0) throw new InvalidInputException("--prompt holds no token ids");
    return ids;
  }

  private byte[] readImage() {
    if (image == null) return null;
    try {
      return Files.readAllBytes(image);
    } catch (IOException e) {
      throw new InvalidInputException(image + ": cannot read image: " + e.getMessage(), e);
    }
  }
}
