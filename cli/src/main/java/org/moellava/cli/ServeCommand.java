package org.moellava.cli;

import java.util.concurrent.CountDownLatch;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.http.ChatServer;
import org.moellava.serve.http.ServerOptions;
import org.moellava.serve.http.ServerOptions.ClientLimits;
import org.moellava.serve.http.images.ImageUrlOptions;
import org.moellava.serve.load.ServingModel;
import org.moellava.serve.load.ServingModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava serve}: the OpenAI-compatible HTTP server and web page over one model. */
@Command(name = "serve", description = "Serve a model over HTTP (OpenAI chat completions, web page at /).")
public final class ServeCommand implements Runnable {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to bind (default 127.0.0.1; "
      + "0.0.0.0 opens the server to the network).")
  String host;

  @Option(names = "--port", defaultValue = "8000", description = "TCP port (0 picks a free one).")
  int port;

  @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on /v1/*. Visible to every user "
      + "in 'ps': prefer --api-key-file or the MOELLAVA_API_KEY environment variable.")
  String apiKey;

  @Option(names = "--api-key-file", description = "Read the API key from the first line of this file.")
  java.nio.file.Path apiKeyFile;

  @Option(names = "--max-batch", defaultValue = "8", description = "Most sequences decoded together.")
  int maxBatch;

  @Option(names = "--queue", defaultValue = "64", description = "Most requests waiting; more are answered 429.")
  int queue;

  @Option(names = "--drain-seconds", defaultValue = "30", description = "On SIGTERM, how long requests in flight "
      + "may take to finish before they are cancelled (default ${DEFAULT-VALUE}).")
  int drainSeconds;

  @Option(names = "--idle-timeout-seconds", defaultValue = "" + ClientLimits.DEFAULT_IDLE_TIMEOUT_MILLIS / 1000,
      description = "Close a connection with nothing read or written for this long; a request body that stalls "
          + "this long is answered 408 (default ${DEFAULT-VALUE}).")
  long idleTimeoutSeconds;

  @Option(names = "--body-grace-seconds", defaultValue = "" + ClientLimits.DEFAULT_BODY_GRACE_MILLIS / 1000,
      description = "How long any request body may take before --min-body-rate applies (default ${DEFAULT-VALUE}).")
  long bodyGraceSeconds;

  @Option(names = "--min-body-rate", defaultValue = "" + ClientLimits.DEFAULT_MIN_BODY_BYTES_PER_SECOND,
      paramLabel = "BYTES_PER_SECOND", description = "After the grace, a request body must arrive at this average "
          + "rate from its start, else 408 and the connection is closed (default ${DEFAULT-VALUE}).")
  long minBodyRate;

  @Option(names = "--max-pending-bodies", defaultValue = "" + ClientLimits.DEFAULT_MAX_PENDING_BODIES,
      description = "Most request bodies still arriving at once; one more sheds the one furthest behind the rate, "
          + "else is answered 503 (default ${DEFAULT-VALUE}).")
  int maxPendingBodies;

  @Option(names = "--max-connections", defaultValue = "" + ClientLimits.DEFAULT_MAX_CONNECTIONS,
      description = "Most open connections; past it a request sheds a slow body or a silent connection, else is "
          + "answered 503 (/health and /metrics always answer) (default ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--served-model-name", split = ",", paramLabel = "NAME",
      description = "Names a request's 'model' may give (404 model_not_found for any other) and /v1/models lists; "
          + "answers carry the first (default: the model's id).")
  java.util.List<String> servedModelNames = new java.util.ArrayList<>();

  @Option(names = "--allowed-origins", split = ",", paramLabel = "ORIGIN",
      description = "Browser origins (http(s)://host[:port]) allowed to call the server cross-origin: CORS "
          + "preflights are answered for them and, without an API key, their requests are let through. '*' (any "
          + "origin) needs an API key (default: none, CORS off).")
  java.util.List<String> allowedOrigins = new java.util.ArrayList<>();

  @Option(names = "--prefix-cache-mb",
      defaultValue = "" + EngineConfig.DEFAULT_PREFIX_CACHE_BYTES / (1 << 20), paramLabel = "MB",
      description = "Memory for prefix caching: the keys and values of earlier prompts' blocks, reused by prompts "
          + "that start the same way (a system prompt, an image, a chat's earlier turns); 0 turns it off "
          + "(default ${DEFAULT-VALUE}).")
  long prefixCacheMb;

  @Option(names = "--prefill-chunk", defaultValue = "" + EngineConfig.DEFAULT_PREFILL_CHUNK_TOKENS,
      paramLabel = "TOKENS", description = "Chunked prefill: a prompt with more positions to compute than this is "
          + "prefilled this many at a time, between decode steps of the running streams, so a long arrival does "
          + "not stall them (an image's tokens stay in one chunk); 0 prefills prompts whole (default "
          + "${DEFAULT-VALUE}).")
  int prefillChunk;

  @Option(names = "--deterministic", description = "Batch invariance: a request's tokens, log probabilities and "
      + "routed experts are bit-identical whatever else runs (every decoder call holds one sequence; costs batching's "
      + "throughput; turns prefix caching and chunked prefill off).")
  boolean deterministic;

  @Option(names = "--max-n", defaultValue = "" + ServerOptions.DEFAULT_MAX_N,
      description = "Largest 'n' (choices per request); each choice takes a batch slot (default ${DEFAULT-VALUE}).")
  int maxN;

  @Option(names = "--allow-image-urls", description = "Fetch http(s) image URLs in requests (default: off, only "
      + "data: URLs). Only public addresses are fetched: loopback, link-local (cloud metadata), private and other "
      + "non-public addresses are refused, also after a redirect or DNS change; at most 10 MiB, within "
      + "--image-url-timeout-seconds.")
  boolean allowImageUrls;

  @Option(names = "--image-url-timeout-seconds", defaultValue = "" + ImageUrlOptions.DEFAULT_TIMEOUT_MILLIS / 1000,
      description = "With --allow-image-urls: the whole fetch of an image URL (connect, up to "
          + ImageUrlOptions.DEFAULT_MAX_REDIRECTS + " redirects, body) must end within it, else 400 "
          + "(default ${DEFAULT-VALUE}).")
  long imageUrlTimeoutSeconds;

  @Override
  public void run() {
    if (idleTimeoutSeconds < 1 || bodyGraceSeconds < 0) {
      throw new InvalidInputException("--idle-timeout-seconds must be >= 1 and --body-grace-seconds >= 0");
    }
    ClientLimits limits = new ClientLimits(idleTimeoutSeconds * 1000, bodyGraceSeconds * 1000, minBodyRate,
        maxPendingBodies, maxConnections);
    ServerOptions options = ServerOptions.defaults().withHost(host).withPort(port)
        .withApiKey(ApiKeySource.resolve(apiKey, apiKeyFile, System.getenv(ApiKeySource.ENVIRONMENT)))
        .withClientLimits(limits).withServedModelNames(servedModelNames).withAllowedOrigins(allowedOrigins)
        .withMaxN(maxN)
        .withImageUrls(imageUrlOptions());
    ChatServer.checkOptions(options); // before the model is loaded
    if (prefixCacheMb < 0) throw new InvalidInputException("--prefix-cache-mb must be >= 0, got " + prefixCacheMb);
    if (prefillChunk < 0) throw new InvalidInputException("--prefill-chunk must be >= 0, got " + prefillChunk);
    EngineConfig engineConfig;
    if (deterministic) {
      for (String option : new String[] {"--prefix-cache-mb", "--prefill-chunk"}) {
        if (spec.commandLine().getParseResult().hasMatchedOption(option)
            && !spec.commandLine().getParseResult().matchedOptionValue(option, "0").equals("0")) {
          throw new InvalidInputException("--deterministic turns prefix caching and chunked prefill off; drop "
              + option + " or give it 0");
        }
      }
      engineConfig = EngineConfig.deterministic(maxBatch, queue);
    } else {
      engineConfig = new EngineConfig(maxBatch, queue, prefixCacheMb << 20, prefillChunk);
    }
    if (drainSeconds < 0) throw new InvalidInputException("--drain-seconds must be >= 0, got " + drainSeconds);
    ServingModel m = ServingModels.open(model.request(false));
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (m; ChatServer server = ChatServer.create(m.backend(), m.tokenizer(), m.decoder(),
        m.imageDecoder(options.maxImagePixels(), options.maxImageBytes()), m.systemPrompt(), engineConfig, options)) {
      server.start();
      spec.commandLine().getOut().printf("serving %s with %s on http://%s:%d (Ctrl-C stops)%n",
          String.join(", ", server.servedModelNames()), m.backend().name(), host, server.port());
      spec.commandLine().getOut().flush();
      // SIGTERM / Ctrl-C: drain (no new requests, in-flight ones finish or end cleanly), then close and exit.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          int cancelled = server.drain(java.time.Duration.ofSeconds(drainSeconds));
          System.err.println("moellava: drained" + (cancelled > 0 ? "; " + cancelled + " request(s) cancelled at "
              + "the " + drainSeconds + " s deadline" : ""));
          stopped.countDown();
          closed.await(drainSeconds + 10L, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "moellava-drain"));
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closed.countDown();
    }
  }

  private ImageUrlOptions imageUrlOptions() {
    if (imageUrlTimeoutSeconds < 1) {
      throw new InvalidInputException("--image-url-timeout-seconds must be >= 1, got " + imageUrlTimeoutSeconds);
    }
    ImageUrlOptions chosen = allowImageUrls ? ImageUrlOptions.publicOnly() : ImageUrlOptions.off();
    return chosen.withTimeoutMillis(imageUrlTimeoutSeconds * 1000);
  }
}
