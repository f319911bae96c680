package org.moellava.api;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.serve.engine.EngineBusyException;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationHandle;
import org.moellava.serve.engine.GenerationListener;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.load.BackendKind;
import org.moellava.serve.load.ServingModel;
import org.moellava.serve.load.ServingModels;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.prompt.ChatTemplate;

/**
 * An open MoE-LLaVA model: ask it about images, one question or a conversation at a time, streamed, or many
 * together.
 *
 * <pre>{@code
 * try (MoeLlava model = MoeLlava.open(Path.of("pkg"))) {
 *   Generation g = model.generate(Path.of("photo.png"), "What is in the image?", GenerationParams.greedy(64));
 *   System.out.println(g.text() + " (" + g.usage().completionTokens() + " tokens)");
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> A model is safe to use from many threads at once. It runs one engine thread that batches
 * every pending generation into shared decoder steps (continuous batching), so concurrent calls, {@link #submit}
 * and {@link #generateAll} are faster together than one after another. Images are decoded and prompts tokenised
 * on the calling thread.
 *
 * <p><b>Thread stacks.</b> ONNX Runtime's session creation overflows the JVM's default 1 MB thread stack (the JVM
 * dies with SIGSEGV, no exception), so {@link #open} loads the model on a thread of its own with a
 * {@value #OPEN_STACK_MB} MB stack and waits for it. Generation runs fine on a default stack, so an application
 * needs no {@code -Xss} option.
 *
 * <p><b>Errors.</b> Opening and submitting fail with {@link InvalidInputException} (an incomplete or unreadable
 * package, a bad image, a conversation the template cannot render, a prompt longer than the context) or
 * {@link BackendUnavailableException} (a runtime, provider or device this machine lacks); a failure during a
 * generation is a {@link GenerationException}. Messages are one line and name the file or field at fault.
 *
 * <p><b>Memory.</b> {@link #close()} stops the engine thread and frees the native memory of the ONNX Runtime
 * sessions (or TensorRT engines) and of the tokenizer; ONNX Runtime's process-wide environment stays, as ONNX
 * Runtime intends.
 */
public final class MoeLlava implements AutoCloseable {
  private static final AtomicLong REQUEST_IDS = new AtomicLong();
  /** The stack of the thread that loads a model, in MB. */
  static final int OPEN_STACK_MB = 32;

  private final ServingModel model;
  private final GenerationEngine engine;
  private final ChatTemplate template;
  private final Options options;
  private final ModelDetails details;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MoeLlava(ServingModel model, Options options) {
    this.model = model;
    this.options = options;
    ModelInfo info = model.backend().info();
    this.template = new ChatTemplate(model.tokenizer(), info, model.systemPrompt());
    this.engine = new GenerationEngine(model.backend(), model.decoder(),
        options.deterministic() ? EngineConfig.deterministic(options.maxBatch(), options.maxQueue())
            : new EngineConfig(options.maxBatch(), options.maxQueue(), options.prefixCacheBytes()),
        EngineObserver.NONE);
    this.details = new ModelDetails(info.modelId(), model.backend().name(), info.vocabSize(), info.maxContext(),
        info.imageSize(), info.numImageTokens(), info.moeLayers(), info.numExperts(), info.expertsPerToken(),
        template.defaultSystem());
  }

  /**
   * Opens a model package with the default {@link Options}: ONNX Runtime on the CPU.
   *
   * @param packageDir a model package directory ({@code model.json}, {@code vision.onnx}, {@code embed.onnx},
   *     {@code decoder.onnx}, {@code tokenizer.json}), as {@code moellava export} writes it
   * @return the open model; close it to free its native memory
   * @throws InvalidInputException if the package is missing, incomplete or unreadable
   * @throws BackendUnavailableException if ONNX Runtime cannot run here
   */
  public static MoeLlava open(Path packageDir) {
    return open(packageDir, Options.defaults());
  }

  /**
   * Opens a model with the given options.
   *
   * @param dir a model package directory, or a training checkpoint directory for
   *     {@link Options.Backend#TENSORFLOW}
   * @param options backend, device, threads and limits
   * @return the open model; close it to free its native memory
   * @throws InvalidInputException if the package or checkpoint is missing, incomplete or unreadable, or has no
   *     {@code tokenizer.json}
   * @throws BackendUnavailableException if the backend, provider or device cannot run here
   */
  public static MoeLlava open(Path dir, Options options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    ServingModels.Request request = request(dir, options);
    ServingModel model;
    try {
      model = onLargeStack("moellava-open", () -> ServingModels.open(request));
    } catch (NoClassDefFoundError e) {
      if (options.backend() != Options.Backend.TENSORFLOW) throw e;
      throw new BackendUnavailableException("the TensorFlow backend needs moellava-graph-builder (with TensorFlow "
          + "Java) on the classpath; moellava-api leaves it out (missing class: " + e.getMessage() + ")", e);
    }
    try {
      return new MoeLlava(model, options);
    } catch (RuntimeException | Error e) {
      model.close();
      throw e;
    }
  }

  /**
   * Runs {@code work} on a new thread with a {@value #OPEN_STACK_MB} MB stack and returns its result or rethrows
   * its exception. An interrupt while waiting does not stop the work; the interrupt flag is set again after it.
   */
  static <T> T onLargeStack(String name, Supplier<T> work) {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(null, () -> {
      try {
        result.set(work.get());
      } catch (Throwable e) {
        failure.set(e);
      }
    }, name, (long) OPEN_STACK_MB << 20);
    thread.start();
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    Throwable e = failure.get();
    if (e instanceof RuntimeException re) throw re;
    if (e instanceof Error error) throw error;
    if (e != null) throw new IllegalStateException(e);
    return result.get();
  }

  private static ServingModels.Request request(Path dir, Options options) {
    return switch (options.backend()) {
      case ONNX_RUNTIME -> {
        OrtOptions ort = switch (options.device()) {
          case CPU -> new OrtOptions(org.moellava.runtime.Device.CPU, false, options.deviceId(), options.threads());
          case CUDA -> new OrtOptions(org.moellava.runtime.Device.CUDA, false, options.deviceId(), options.threads());
          case TENSORRT -> new OrtOptions(org.moellava.runtime.Device.CUDA, true, options.deviceId(),
              options.threads());
        };
        yield new ServingModels.Request(dir, null, BackendKind.ORT, ort, false);
      }
      case TENSORRT -> new ServingModels.Request(dir, null, BackendKind.TRT, OrtOptions.cpu(), false);
      case TENSORFLOW -> {
        if (options.device() != Options.Device.CPU) {
          throw new InvalidInputException("Options.device " + options.device() + " applies to ONNX Runtime; the "
              + "TensorFlow backend runs where its native build does: leave the device at CPU");
        }
        yield new ServingModels.Request(null, dir, BackendKind.TF, OrtOptions.cpu(), false);
      }
    };
  }

  /**
   * What this model is and how it runs.
   *
   * @return the model's details
   */
  public ModelDetails details() {
    return details;
  }

  /**
   * The options this model was opened with.
   *
   * @return the options
   */
  public Options options() {
    return options;
  }

  /**
   * Answers a question about an image and waits for the answer.
   *
   * @param image the image, or null for a text-only prompt
   * @param prompt the question
   * @param params how to generate
   * @return the answer
   * @throws InvalidInputException if the image cannot be read or decoded, or the prompt does not fit the model
   * @throws GenerationException if the backend fails on it
   */
  public Generation generate(Image image, String prompt, GenerationParams params) {
    return submit(Request.of(image, prompt, params), null).await();
  }

  /**
   * Answers a question about an image file; see {@link #generate(Image, String, GenerationParams)}.
   *
   * @param image a PNG, JPEG, GIF or BMP file, or null for a text-only prompt
   * @param prompt the question
   * @param params how to generate
   * @return the answer
   */
  public Generation generate(Path image, String prompt, GenerationParams params) {
    return generate(image == null ? null : Image.of(image), prompt, params);
  }

  /**
   * Answers a question about encoded image bytes; see {@link #generate(Image, String, GenerationParams)}.
   *
   * @param image the bytes of a PNG, JPEG, GIF or BMP file, or null for a text-only prompt
   * @param prompt the question
   * @param params how to generate
   * @return the answer
   */
  public Generation generate(byte[] image, String prompt, GenerationParams params) {
    return generate(image == null ? null : Image.of(image), prompt, params);
  }

  /**
   * Answers a question about a decoded image; see {@link #generate(Image, String, GenerationParams)}.
   *
   * @param image the image, or null for a text-only prompt
   * @param prompt the question
   * @param params how to generate
   * @return the answer
   */
  public Generation generate(BufferedImage image, String prompt, GenerationParams params) {
    return generate(image == null ? null : Image.of(image), prompt, params);
  }

  /**
   * Answers a text-only prompt.
   *
   * @param prompt the prompt
   * @param params how to generate
   * @return the answer
   */
  public Generation generate(String prompt, GenerationParams params) {
    return generate((Image) null, prompt, params);
  }

  /**
   * Answers a question about an image, passing each token to {@code listener} as it is generated, and waits for
   * the answer. The tokens' texts joined are the answer's text.
   *
   * @param image the image, or null for a text-only prompt
   * @param prompt the question
   * @param params how to generate
   * @param listener receives each token on the engine thread
   * @return the answer
   * @throws InvalidInputException if the image cannot be read or decoded, or the prompt does not fit the model
   * @throws GenerationException if the backend fails on it
   */
  public Generation generate(Image image, String prompt, GenerationParams params, TokenListener listener) {
    return submit(Request.of(image, prompt, params), Objects.requireNonNull(listener, "listener")).await();
  }

  /**
   * Continues a conversation, rendered with the model's chat template, and waits for the answer.
   *
   * @param messages the conversation, ending with a user message; at most one user message has an image
   * @param params how to generate
   * @return the assistant's answer
   * @throws InvalidInputException if the conversation cannot be rendered, an image cannot be decoded, or the
   *     prompt does not fit the model
   * @throws GenerationException if the backend fails on it
   */
  public Generation chat(List<Message> messages, GenerationParams params) {
    return submit(new Request(messages, params), null).await();
  }

  /**
   * Continues a conversation, streaming the answer's tokens to {@code listener}; see {@link #chat(List,
   * GenerationParams)}.
   *
   * @param messages the conversation, ending with a user message
   * @param params how to generate
   * @param listener receives each token on the engine thread
   * @return the assistant's answer
   */
  public Generation chat(List<Message> messages, GenerationParams params, TokenListener listener) {
    return submit(new Request(messages, params), Objects.requireNonNull(listener, "listener")).await();
  }

  /**
   * Submits one generation without waiting. The image is decoded and the prompt rendered on this thread, so
   * input errors are thrown here; the generation then runs on the engine thread, batched with the others.
   *
   * @param request the conversation and its parameters
   * @param listener receives each token on the engine thread, or null
   * @return the pending generation
   * @throws InvalidInputException if the image cannot be decoded or the prompt does not fit the model
   * @throws org.moellava.serve.engine.EngineBusyException if {@link Options#maxQueue()} requests already wait
   * @throws IllegalStateException if this model is closed
   */
  public PendingGeneration submit(Request request, TokenListener listener) {
    Objects.requireNonNull(request, "request");
    ensureOpen();
    float[] pixels = null;
    List<ChatMessage> chat = new ArrayList<>(request.messages().size());
    long images = request.messages().stream().filter(m -> m.image() != null).count();
    if (images > 1) {
      throw new InvalidInputException("the model takes one image per conversation, got " + images);
    }
    for (Message m : request.messages()) {
      if (m.image() != null) pixels = m.image().pixels(model.preprocessor(), options.maxImagePixels());
      chat.add(new ChatMessage(m.role().name().toLowerCase(Locale.ROOT), m.text(), m.image() != null));
    }
    int[] ids = template.build(chat);
    String id = "moellava-api-" + REQUEST_IDS.incrementAndGet();
    Pending pending = new Pending(id, listener, details.moeLayers());
    pending.handle = engine.submit(new GenerationRequest(id, ids, pixels, request.params().toSampling()), pending);
    return pending;
  }

  /**
   * Runs many generations together and waits for all: they are submitted at once, so the engine prefills and
   * decodes them in shared batches of up to {@link Options#maxBatch()}. More requests than
   * {@link Options#maxQueue()} are fed in as earlier ones finish.
   *
   * @param requests the generations
   * @return their answers, in the order of {@code requests}
   * @throws InvalidInputException if any request is invalid; none of them then runs to its end
   * @throws GenerationException if the backend fails on any; the others are cancelled
   */
  public List<Generation> generateAll(List<Request> requests) {
    List<PendingGeneration> pending = new ArrayList<>(requests.size());
    try {
      for (Request r : requests) {
        pending.add(submitWhenQueueHasRoom(r, pending));
      }
      List<Generation> results = new ArrayList<>(pending.size());
      for (PendingGeneration p : pending) {
        results.add(p.await());
      }
      return results;
    } catch (RuntimeException | Error e) {
      pending.forEach(PendingGeneration::cancel);
      throw e;
    }
  }

  private PendingGeneration submitWhenQueueHasRoom(Request request, List<PendingGeneration> earlier) {
    while (true) {
      try {
        return submit(request, null);
      } catch (EngineBusyException busy) {
        PendingGeneration oldest = earlier.stream().filter(p -> !p.result().isDone()).findFirst().orElse(null);
        try {
          if (oldest != null) {
            oldest.result().exceptionally(e -> null).get();
          } else {
            Thread.sleep(5); // the queue is full of other threads' requests
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new GenerationException("interrupted while waiting for room in the request queue", e);
        } catch (ExecutionException e) {
          // exceptionally() above leaves none
        }
      }
    }
  }

  /**
   * Stops the engine (generations still running or queued fail with a {@link GenerationException}) and frees the
   * native memory of the backend and the tokenizer. Calling it again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      engine.close();
    } finally {
      model.close();
    }
  }

  private void ensureOpen() {
    if (closed.get()) throw new IllegalStateException("this MoeLlava model is closed");
  }

  /** One submitted generation: the engine's listener, the caller's handle. */
  private static final class Pending implements GenerationListener, PendingGeneration {
    private final String id;
    private final TokenListener listener;
    private final List<Integer> moeLayers;
    private final long submitted = System.nanoTime();
    private final CompletableFuture<Generation> future = new CompletableFuture<>();
    private volatile GenerationHandle handle;

    Pending(String id, TokenListener listener, List<Integer> moeLayers) {
      this.id = id;
      this.listener = listener;
      this.moeLayers = moeLayers;
    }

    @Override
    public void onToken(GeneratedToken token) {
      if (listener != null) {
        listener.onToken(new Token(token.index(), token.tokenId(), token.textDelta(), token.routedExperts()));
      }
    }

    @Override
    public void onFinish(GenerationResult r) {
      long elapsed = System.nanoTime() - submitted;
      future.complete(new Generation(r.text(), r.tokenIds(), new Usage(r.promptTokens(), r.completionTokens(), r.cachedPromptTokens()),
          switch (r.finishReason()) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.CANCELLED;
          }, r.routedExperts(), moeLayers,
          r.timeToFirstTokenNanos() < 0 ? null : Duration.ofNanos(r.timeToFirstTokenNanos()),
          Duration.ofNanos(elapsed)));
    }

    @Override
    public void onError(RuntimeException error) {
      future.completeExceptionally(new GenerationException("generation " + id + " failed: " + error.getMessage(),
          error));
    }

    @Override
    public CompletableFuture<Generation> result() {
      return future;
    }

    @Override
    public Generation await() {
      try {
        return future.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        // a fresh exception, so the stack trace shows the waiting caller; the engine's error is its cause
        throw new GenerationException(cause.getMessage(), cause.getCause() != null ? cause.getCause() : cause);
      } catch (InterruptedException e) {
        cancel();
        Thread.currentThread().interrupt();
        throw new GenerationException("interrupted while waiting for generation " + id + "; it was cancelled", e);
      }
    }

    @Override
    public void cancel() {
      GenerationHandle h = handle;
      if (h != null) h.cancel();
    }
  }
}
