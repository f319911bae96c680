package org.moellava.serve.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.engine.ContextLengthExceededException;
import org.moellava.serve.engine.EngineBusyException;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationHandle;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.http.images.ImageUrlFetcher;
import org.moellava.serve.prompt.ChatTemplate;
import org.moellava.serve.prompt.ImageDecoder;
import org.moellava.serve.structured.JsonConstraint;
import org.moellava.serve.structured.TokenVocabulary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions}: parse and check the body, decode the image, apply the chat template,
 * queue the request on the engine, then answer with one {@code chat.completion} or a stream of
 * {@code chat.completion.chunk} server-sent events ending with {@code data: [DONE]}. The response is
 * committed only once the first token exists, so a failure in prefill is still a plain 500. A streaming
 * client that disconnects is noticed at the next write (tokens or a keep-alive comment every few seconds)
 * and its request is cancelled, freeing its slot; a non-streaming client that disconnects is noticed within
 * {@link #DISCONNECT_CHECK_MILLIS} ({@link ClientConnection}) and cancelled the same way. A body that has all
 * arrived with its headers is answered on the request's thread; any other is read by {@link BoundedBody} without a
 * thread waiting for it, and a worker answers once it is complete.
 */
final class ChatCompletionsHandler implements Handler {
  private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionsHandler.class);
  private static final long KEEP_ALIVE_MILLIS = 5_000;
  /** How often a non-streaming request checks that its client is still connected. */
  private static final long DISCONNECT_CHECK_MILLIS = 200;

  private final GenerationEngine engine;
  private final ChatTemplate template;
  private final ImageDecoder imageDecoder;
  private final ServerMetrics metrics;
  private final ServerOptions options;
  private final ModelInfo info;
  private final ChatRequestParser parser;
  private final ImageUrlFetcher imageFetcher;
  private final InFlight inFlight;
  private final BoundedBody bodies;
  private final Executor workers;
  private final TokenDecoder decoder;
  private volatile TokenVocabulary vocabulary;

  /**
   * @param servedNames the names requests may give as {@code model}, the first the one answers carry
   * @param decoder token texts for log probabilities
   * @param imageFetcher fetches {@code http(s)} image URLs; null when the server takes only {@code data:} URLs
   */
  ChatCompletionsHandler(GenerationEngine engine, ChatTemplate template, ImageDecoder imageDecoder,
      ServerMetrics metrics, ServerOptions options, InFlight inFlight, BoundedBody bodies, Executor workers,
      List<String> servedNames, TokenDecoder decoder, ImageUrlFetcher imageFetcher) {
    this.imageFetcher = imageFetcher;
    this.decoder = decoder;
    this.inFlight = inFlight;
    this.bodies = bodies;
    this.workers = workers;
    this.engine = engine;
    this.template = template;
    this.imageDecoder = imageDecoder;
    this.metrics = metrics;
    this.options = options;
    this.info = engine.info();
    this.parser = new ChatRequestParser(options.maxImageBytes(), servedNames, options.maxN(), info.vocabSize(),
        info.imageTokenId(), imageFetcher != null);
  }

  @Override
  public void handle(Context ctx) {
    long start = System.nanoTime();
    inFlight.enter();
    BoundedBody.Read read;
    try {
      read = bodies.start(ctx);
    } catch (RuntimeException e) {
      ended(start, null, e);
      throw e;
    }
    if (read.body() != null) { // all there already: answer on this thread
      String status = null;
      RuntimeException failure = null;
      try {
        status = serve(ctx, read.body());
      } catch (RuntimeException e) {
        failure = e;
        throw e;
      } finally {
        ended(start, status, failure);
      }
      return;
    }
    // the rest of the body arrives without a thread waiting for it; then a worker answers
    ctx.future(() -> read.arrive()
        .thenApplyAsync(body -> serve(ctx, body), workers)
        .whenComplete((status, failure) -> ended(start, status, failure)));
  }

  private void ended(long start, String status, Throwable failure) {
    inFlight.exit();
    if (status == null) {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      status = cause instanceof ApiException api ? Integer.toString(api.status()) : "500";
    }
    metrics.request(status, System.nanoTime() - start);
  }

  /**
   * The model's vocabulary as byte strings, read from the tokenizer on the first structured-output request.
   *
   * @throws ApiException 400 when the tokenizer cannot give token bytes
   */
  private TokenVocabulary vocabulary() {
    TokenVocabulary v = vocabulary;
    if (v == null) {
      synchronized (this) {
        if (vocabulary == null) {
          byte[][] bytes = decoder.vocabularyBytes(info.vocabSize());
          if (bytes == null) {
            throw ApiException.invalid("response_format", "unsupported_parameter", "structured output "
                + "(response_format json_object, json_schema) needs each token's bytes, and this model's tokenizer "
                + "gives none (only byte-level BPE and SentencePiece tokenizer.json decoders are understood)");
          }
          vocabulary = new TokenVocabulary(bytes, info.eosTokenId());
        }
        v = vocabulary;
      }
    }
    return v;
  }

  private String serve(Context ctx, byte[] body) {
    try {
      return answerRequest(ctx, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while answering", e);
    }
  }

  private String answerRequest(Context ctx, byte[] body) throws InterruptedException {
    ChatRequest request = parser.parse(body);
    float[] pixels = null;
    if (request.image() != null) {
      byte[] encoded = request.image() instanceof ImageInput.Url url
          ? imageFetcher.fetch(url.url(), url.param()) // off the engine: this request's worker waits, no one else
          : ((ImageInput.Inline) request.image()).bytes();
      try {
        pixels = imageDecoder.decode(encoded);
      } catch (InvalidInputException e) {
        throw ApiException.invalid("messages", "invalid_image", e.getMessage());
      }
    }
    int[] prompt;
    try {
      prompt = template.build(request.messages());
    } catch (InvalidInputException e) {
      throw ApiException.invalid("messages", "invalid_value", e.getMessage());
    }
    int maxTokens = request.maxTokens() != null ? request.maxTokens() : defaultMaxTokens(prompt.length);
    long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong();
    SamplingParams sampling = new SamplingParams(request.temperature(), request.topP(), request.topK(), seed,
        maxTokens, request.stop(), request.frequencyPenalty(), request.presencePenalty(), request.logitBias(),
        request.logprobs());
    JsonConstraint constraint = request.responseFormat() == null ? null
        : new JsonConstraint(request.responseFormat(), vocabulary());
    String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    EventQueue events = new EventQueue();
    Choices choices = new Choices();
    try {
      for (int i = 0; i < request.n(); i++) { // choice i samples with seed + i
        String requestId = request.n() == 1 ? id : id + "-" + i;
        choices.add(engine.submit(new GenerationRequest(requestId, prompt, pixels, sampling.withSeed(seed + i),
            constraint), events.choice(i)));
      }
    } catch (EngineBusyException e) {
      choices.cancel();
      throw ApiException.busy(e.getMessage(), options.retryAfterSeconds());
    } catch (ContextLengthExceededException e) {
      choices.cancel();
      throw ApiException.invalid(e.promptFillsContext() ? "messages" : request.maxTokensParam(),
          "context_length_exceeded", e.getMessage());
    } catch (InvalidInputException e) {
      choices.cancel();
      throw ApiException.invalid("messages", "invalid_value", e.getMessage());
    } catch (RuntimeException e) {
      choices.cancel();
      throw e;
    }
    inFlight.started(choices);
    try {
      return answer(ctx, request, choices, events, id);
    } finally {
      inFlight.ended(choices);
    }
  }

  /** The generations of one request's choices, cancelled together. */
  private static final class Choices implements GenerationHandle {
    private final List<GenerationHandle> handles = new ArrayList<>();
    private volatile boolean cancelled;

    void add(GenerationHandle handle) {
      handles.add(handle);
    }

    int size() {
      return handles.size();
    }

    @Override
    public void cancel() {
      cancelled = true;
      handles.forEach(GenerationHandle::cancel);
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }

  private String answer(Context ctx, ChatRequest request, Choices choices, EventQueue events, String id)
      throws InterruptedException {
    ChatResponses responses = new ChatResponses(id, System.currentTimeMillis() / 1000, request.model(),
        info.moeLayers(), decoder, info.eosTokenId());
    GenerationEvent first;
    try {
      first = events.take();
    } catch (InterruptedException e) {
      choices.cancel();
      throw e;
    }
    if (first instanceof GenerationEvent.Failed failed) {
      choices.cancel();
      throw backendFailure(id, failed.error());
    }
    if (request.stream()) {
      return stream(ctx, request, choices, events, first, responses);
    }
    return complete(ctx, request, choices, events, first, responses);
  }

  /**
   * {@code max_tokens} when the request gives none: the server default, capped by the context the prompt
   * leaves (at least 1, so that a prompt that fills the context is rejected by the engine's context check).
   */
  private int defaultMaxTokens(int promptTokens) {
    return Math.max(1, Math.min(options.defaultMaxTokens(), info.maxContext() - promptTokens));
  }

  private String complete(Context ctx, ChatRequest request, Choices choices, EventQueue events,
      GenerationEvent first, ChatResponses responses) throws InterruptedException {
    int n = choices.size();
    GenerationResult[] results = new GenerationResult[n];
    int finished = 0;
    GenerationEvent event = first;
    ClientConnection client = ClientConnection.of(ctx);
    try {
      long nextCheck = System.nanoTime() + DISCONNECT_CHECK_MILLIS * 1_000_000;
      while (true) {
        if (event instanceof GenerationEvent.Failed failed) {
          choices.cancel(); // one choice failed: the answer cannot be whole
          if (client != null && client.sawData()) ctx.header("Connection", "close");
          throw backendFailure(responses.id(), failed.error());
        }
        if (event instanceof GenerationEvent.Finished done) {
          results[done.choice()] = done.result();
          if (++finished == n) break;
        }
        event = null;
        while (event == null) {
          event = events.poll(DISCONNECT_CHECK_MILLIS);
          if (System.nanoTime() >= nextCheck) {
            if (client != null && client.isGone()) {
              choices.cancel(); // nobody will read the answer: free the slots
              return "499";
            }
            nextCheck = System.nanoTime() + DISCONNECT_CHECK_MILLIS * 1_000_000;
          }
        }
      }
    } catch (InterruptedException e) {
      choices.cancel();
      throw e;
    }
    if (client != null && client.sawData()) ctx.header("Connection", "close");
    ctx.status(200).contentType("application/json")
        .result(write(responses.completion(List.of(results), request.returnRoutedExperts(), request.logprobs() >= 0)));
    return "200";
  }

  private String stream(Context ctx, ChatRequest request, Choices choices, EventQueue events,
      GenerationEvent first, ChatResponses responses) throws InterruptedException {
    ctx.status(200);
    ctx.contentType("text/event-stream; charset=utf-8");
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Accel-Buffering", "no");
    boolean routed = request.returnRoutedExperts();
    boolean logprobs = request.logprobs() >= 0;
    int n = choices.size();
    GenerationResult[] results = new GenerationResult[n];
    int finished = 0;
    try {
      OutputStream out = ctx.res().getOutputStream();
      for (int i = 0; i < n; i++) {
        send(out, responses.roleChunk(i, routed));
      }
      GenerationEvent event = first;
      while (true) {
        if (event instanceof GenerationEvent.Token t) {
          GeneratedToken token = t.token();
          if (responses.hasChunk(token, routed, logprobs)) {
            send(out, responses.tokenChunk(t.choice(), token, routed, logprobs));
          }
        } else if (event instanceof GenerationEvent.Finished done) {
          send(out, responses.finishChunk(done.choice(), done.result()));
          results[done.choice()] = done.result();
          if (++finished == n) {
            if (request.includeUsage()) {
              send(out, responses.usageChunk(List.of(results)));
            }
            done(out);
            return "200";
          }
        } else if (event instanceof GenerationEvent.Failed failed) {
          LOG.warn("request failed mid-stream: {}", failed.error().toString());
          choices.cancel();
          send(out, Json.error(serverError(failed.error())));
          done(out);
          return "500";
        }
        event = next(out, events);
      }
    } catch (IOException e) {
      choices.cancel(); // the client went away: free its slots
      return "499";
    } catch (InterruptedException e) {
      choices.cancel();
      throw e;
    }
  }

  /** The next event, writing a keep-alive comment every {@link #KEEP_ALIVE_MILLIS} until it comes. */
  private static GenerationEvent next(OutputStream out, EventQueue events) throws IOException, InterruptedException {
    GenerationEvent event;
    while ((event = events.poll(KEEP_ALIVE_MILLIS)) == null) {
      out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    return event;
  }

  private static void send(OutputStream out, ObjectNode chunk) throws IOException {
    out.write(("data: " + write(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void done(OutputStream out) throws IOException {
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static String write(ObjectNode node) {
    try {
      return Json.MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("response could not be serialised", e);
    }
  }

  private static ApiException backendFailure(String id, RuntimeException error) {
    LOG.warn("request {} failed in the backend", id, error);
    return serverError(error);
  }

  private static ApiException serverError(RuntimeException error) {
    String detail = error instanceof MoeLlavaException ? ": " + error.getMessage() : "";
    return new ApiException(500, "server_error", null, "backend_error",
        "the model backend failed for this request" + detail);
  }
}
