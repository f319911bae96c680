package org.moellava.serve.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import org.moellava.error.InvalidInputException;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.http.images.ImageUrlFetcher;
import org.moellava.serve.prompt.ChatTemplate;
import org.moellava.serve.prompt.ImageDecoder;
import org.moellava.serve.prompt.PromptTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible HTTP server: {@code POST /v1/chat/completions}, {@code GET /v1/models},
 * {@code GET /health}, {@code GET /metrics} (Prometheus) and the web page at {@code /}. Binds 127.0.0.1
 * unless {@link ServerOptions#host()} says otherwise; with an api key, {@code /v1/*} needs
 * {@code Authorization: Bearer <key>}. Errors are OpenAI error JSON, never stack traces.
 *
 * <p>Slow or numerous clients cannot starve the others ({@link ServerOptions.ClientLimits}): request bodies are read
 * without holding a thread while their bytes are awaited and must keep a minimum rate after a grace period (else 408,
 * {@link BoundedBody}); bodies arriving at once and open connections are capped, and past a cap the slowest body or
 * the longest-silent idle connection is shed before a request is refused with a quick 503 ({@link OpenConnections});
 * {@code GET /health} and {@code /metrics} are answered past the connection cap.
 */
public final class ChatServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChatServer.class);

  private final GenerationEngine engine;
  private final ServerMetrics metrics;
  private final ServerOptions options;
  private final Javalin app;
  /** After a drain's deadline, how long cancelled requests get to write their last chunk. */
  private static final long DRAIN_CANCEL_GRACE_MILLIS = 2_000;
  /** Jetty's (and Javalin's default) most threads; a body being awaited holds none of them. */
  private static final int WORKER_THREADS = 250;
  private final InFlight inFlight = new InFlight();
  /** Jetty's threads; also where a body that arrived asynchronously is answered. */
  private final QueuedThreadPool workers = new QueuedThreadPool(WORKER_THREADS, 8, 60_000);
  private final BoundedBody bodies;
  private final OpenConnections connections = new OpenConnections();
  private volatile boolean draining;
  private final long startedSeconds = System.currentTimeMillis() / 1000;
  /** Context attribute set once an {@link ApiException} was answered, so that the 404 page does not replace it. */
  private static final String API_ERROR = "moellava.apiError";
  /** The names requests may give as {@code model}; the first is the one answers carry. */
  private final List<String> servedNames;
  private final ImageUrlFetcher imageFetcher;

  /**
   * A server over {@code backend} with its own engine and metrics; {@link #close()} closes the engine (not
   * the backend).
   */
  public static ChatServer create(Backend backend, PromptTokenizer tokenizer, TokenDecoder decoder,
      ImageDecoder imageDecoder, EngineConfig engineConfig, ServerOptions options) {
    return create(backend, tokenizer, decoder, imageDecoder, ChatTemplate.DEFAULT_SYSTEM, engineConfig, options);
  }

  /** As {@link #create(Backend, PromptTokenizer, TokenDecoder, ImageDecoder, EngineConfig, ServerOptions)} with the
   * model's own system prompt. */
  public static ChatServer create(Backend backend, PromptTokenizer tokenizer, TokenDecoder decoder,
      ImageDecoder imageDecoder, String systemPrompt, EngineConfig engineConfig, ServerOptions options) {
    ServerMetrics metrics = new ServerMetrics(backend.info());
    GenerationEngine engine = new GenerationEngine(backend, decoder, engineConfig, metrics);
    metrics.bind(engine);
    ImageUrlFetcher imageFetcher = null;
    try {
      imageFetcher = options.imageUrls().enabled()
          ? new ImageUrlFetcher(options.imageUrls(), options.maxImageBytes(), options.retryAfterSeconds()) : null;
      return new ChatServer(engine, new ChatTemplate(tokenizer, backend.info(), systemPrompt), imageDecoder, decoder,
          metrics, options, imageFetcher);
    } catch (RuntimeException e) {
      if (imageFetcher != null) {
        imageFetcher.close();
      }
      engine.close();
      throw e;
    }
  }

  private ChatServer(GenerationEngine engine, ChatTemplate template, ImageDecoder imageDecoder, TokenDecoder decoder,
      ServerMetrics metrics, ServerOptions options, ImageUrlFetcher imageFetcher) {
    this.engine = engine;
    this.imageFetcher = imageFetcher;
    this.metrics = metrics;
    this.options = options;
    this.servedNames = options.servedModelNames().isEmpty() ? List.of(engine.info().modelId())
        : options.servedModelNames();
    checkOptions(options);
    Cors cors = new Cors(options.allowedOrigins());
    ServerOptions.ClientLimits limits = options.clientLimits();
    workers.setName("moellava-http");
    this.bodies = new BoundedBody(options, workers);
    metrics.bindClientLimits(connections, bodies);
    this.app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.http.maxRequestSize = options.maxBodyBytes();
      config.jetty.threadPool = workers;
      config.jetty.modifyServer(server -> server.setErrorHandler(quietErrors()));
      config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(quietErrors()));
      config.jetty.addConnector((server, httpConfig) -> {
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setIdleTimeout(limits.idleTimeoutMillis());
        connector.addEventListener(connections);
        return connector;
      });
    });
    // first: past the connection limit, make room by shedding a slow body or a silent connection, else refuse
    app.before(ctx -> {
      if (connections.count() > limits.maxConnections() && !isMonitoring(ctx) && !bodies.shedOne()
          && !connections.shedIdle()) {
        ctx.header("Connection", "close");
        throw ApiException.unavailable("too many open connections (limit " + limits.maxConnections()
            + "); retry later", Math.max(1, options.retryAfterSeconds()));
      }
    });
    String page = resource("/public/index.html");
    if (cors.enabled()) {
      app.before(cors::addHeaders); // before the checks, so that their errors are readable cross-origin too
    }
    if (options.apiKey() != null) {
      byte[] expected = ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
      app.before("/v1/*", ctx -> {
        if (!isPreflight(ctx)) requireKey(ctx, expected); // a browser's preflight carries no credentials
      });
    } else {
      LocalRequestGuard guard = new LocalRequestGuard(options.host(), cors);
      app.before(guard::check);
    }
    app.before("/v1/*", ctx -> {
      if (draining) {
        ctx.header("Connection", "close");
        throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down");
      }
    });
    app.post("/v1/chat/completions",
        new ChatCompletionsHandler(engine, template, imageDecoder, metrics, options, inFlight, bodies, workers,
            servedNames, decoder, imageFetcher));
    if (cors.enabled()) {
      app.options("/*", cors::preflight);
    }
    app.get("/v1/models", this::models);
    app.get("/health", this::health);
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.get("/", ctx -> ctx.html(page));
    app.exception(ApiException.class, (e, ctx) -> respond(ctx, e));
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
      respond(ctx, new ApiException(500, "server_error", null, "internal_error", "internal server error"));
    });
    app.error(404, ctx -> {
      if (ctx.attribute(API_ERROR) == null) { // not a 404 of the API's own (model_not_found)
        respond(ctx, new ApiException(404, "invalid_request_error", null, "not_found",
            "no route for " + ctx.method() + " " + ctx.path()));
      }
    });
  }

  /** Starts listening on the configured host and port. */
  public ChatServer start() {
    checkLocalAddress(options.host());
    try {
      app.start(options.host(), options.port());
    } catch (RuntimeException e) {
      throw bindFailure(e);
    }
    LOG.info("serving {} on http://{}:{} with backend {}", String.join(", ", servedNames), options.host(), port(),
        engine.backendName());
    return this;
  }

  /** The bound port. */
  public int port() {
    return app.port();
  }

  /** The engine behind the server. */
  public GenerationEngine engine() {
    return engine;
  }

  /**
   * Graceful shutdown, as on SIGTERM: stops taking new requests ({@code /v1/*} answers 503, {@code /health} reports
   * {@code draining} with 503 so a load balancer stops routing here), lets the requests in flight finish for up to
   * {@code deadline}, then cancels the rest, which still end cleanly (a stream gets its last chunk and
   * {@code [DONE]}). Returns the number of requests that had to be cancelled. Call {@link #close} after it.
   */
  public int drain(java.time.Duration deadline) throws InterruptedException {
    draining = true;
    if (inFlight.awaitIdle(deadline.toMillis())) return 0;
    int cancelled = inFlight.count();
    inFlight.cancelAll();
    inFlight.awaitIdle(DRAIN_CANCEL_GRACE_MILLIS);
    return cancelled;
  }

  /** Whether {@link #drain} has started. */
  public boolean draining() {
    return draining;
  }

  /** Stops the HTTP server and the engine. */
  @Override
  public void close() {
    try {
      app.stop();
    } finally {
      bodies.close();
      if (imageFetcher != null) {
        imageFetcher.close();
      }
      engine.close();
    }
  }

  /**
   * Refuses options that are valid one by one but not together: {@code --allowed-origins '*'} without an API key
   * would let every web page in the user's browser use the server. {@link #create} checks them; a command line may
   * check them before it loads a model.
   *
   * @throws InvalidInputException naming the problem
   */
  public static void checkOptions(ServerOptions options) {
    if (options.allowedOrigins().contains(Cors.ANY) && options.apiKey() == null) {
      throw new InvalidInputException("--allowed-origins '*' would let every web page in a browser use this server; "
          + "it needs an API key (--api-key-file or MOELLAVA_API_KEY), or name the origins");
    }
  }

  /** A CORS preflight: {@code OPTIONS} with {@code Access-Control-Request-Method}. */
  private static boolean isPreflight(Context ctx) {
    return "OPTIONS".equals(ctx.method().name()) && ctx.header("Access-Control-Request-Method") != null;
  }

  /** The names requests may give as {@code model} ({@code --served-model-name}), the first the one answers carry. */
  public List<String> servedModelNames() {
    return servedNames;
  }

  /** {@code GET /health} and {@code GET /metrics}: answered even past the connection limit. */
  private static boolean isMonitoring(Context ctx) {
    return "GET".equals(ctx.method().name()) && ("/health".equals(ctx.path()) || "/metrics".equals(ctx.path()));
  }

  private void models(Context ctx) {
    ModelInfo info = engine.info();
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("object", "list");
    com.fasterxml.jackson.databind.node.ArrayNode data = root.putArray("data");
    for (String name : servedNames) { // one entry per served name, all the same model
      ObjectNode model = data.addObject();
      model.put("id", name);
      model.put("object", "model");
      model.put("created", startedSeconds);
      model.put("owned_by", "moellava");
      model.put("root", info.modelId());
      model.put("max_model_len", info.maxContext());
      info.moeLayers().forEach(model.putArray("moe_layers")::add);
      model.put("num_experts", info.numExperts());
      model.put("experts_per_token", info.expertsPerToken());
    }
    ctx.contentType("application/json").result(root.toString());
  }

  private void health(Context ctx) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("status", draining ? "draining" : "ok");
    if (draining) ctx.status(503);
    root.put("model", servedNames.get(0));
    root.put("backend", engine.backendName());
    root.put("queue_depth", engine.queueDepth());
    root.put("active_sequences", engine.activeCount());
    root.put("open_connections", connections.count());
    root.put("pending_bodies", bodies.pendingCount());
    ctx.contentType("application/json").result(root.toString());
  }

  private static void requireKey(Context ctx, byte[] expected) {
    String header = ctx.header("Authorization");
    byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, given)) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
          "missing or wrong API key; send Authorization: Bearer <key>");
    }
  }

  private static void respond(Context ctx, ApiException e) {
    ctx.attribute(API_ERROR, Boolean.TRUE);
    if (e.retryAfterSeconds() != null) {
      ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
    }
    if (BoundedBody.abandoned(ctx)) {
      BoundedBody.answerAndClose(ctx, e.status(), Json.error(e).toString().getBytes(StandardCharsets.UTF_8));
      return;
    }
    ctx.status(e.status()).contentType("application/json").result(Json.error(e).toString());
  }

  /**
   * Jetty's own error answers (a malformed request line, an ambiguous or undecodable path, ...) as the same JSON
   * error object as the API's, instead of Jetty's HTML page.
   */
  private static ErrorHandler quietErrors() {
    return new ErrorHandler() {
      @Override
      protected void generateAcceptableResponse(org.eclipse.jetty.server.Request baseRequest,
          jakarta.servlet.http.HttpServletRequest request, jakarta.servlet.http.HttpServletResponse response, int code,
          String message) throws IOException {
        baseRequest.setHandled(true);
        response.setContentType("application/json");
        response.getOutputStream().write(errorJson(code, message));
      }

      @Override
      public java.nio.ByteBuffer badMessageError(int status, String reason,
          org.eclipse.jetty.http.HttpFields.Mutable fields) {
        fields.put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
        return java.nio.ByteBuffer.wrap(errorJson(status, reason));
      }
    };
  }

  private static byte[] errorJson(int status, String reason) {
    String message = reason == null || reason.isBlank()
        ? org.eclipse.jetty.http.HttpStatus.getMessage(status) : reason;
    var error = Json.MAPPER.createObjectNode();
    var body = error.putObject("error");
    body.put("message", "bad request: " + message);
    body.put("type", status >= 500 ? "server_error" : "invalid_request_error");
    body.putNull("param");
    body.put("code", status == 404 ? "not_found" : "bad_request");
    try {
      return Json.MAPPER.writeValueAsBytes(error);
    } catch (IOException e) {
      return ("{\"error\":{\"message\":\"bad request\"}}").getBytes(StandardCharsets.UTF_8);
    }
  }

  private static String resource(String path) {
    try (InputStream in = ChatServer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource " + path + " is missing from the serve jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("resource " + path + " could not be read", e);
    }
  }

  /** Refuses a host that is not an address (or name) of this machine before Javalin reports it as "port in use". */
  private static void checkLocalAddress(String host) {
    java.net.InetAddress address;
    try {
      address = java.net.InetAddress.getByName(host);
    } catch (java.net.UnknownHostException e) {
      throw new InvalidInputException("host '" + host + "' is not a valid address or a known name");
    }
    try {
      if (!address.isAnyLocalAddress() && !address.isLoopbackAddress()
          && java.net.NetworkInterface.getByInetAddress(address) == null) {
        throw new InvalidInputException("host '" + host + "' (" + address.getHostAddress()
            + ") is not an address of this machine");
      }
    } catch (java.net.SocketException e) {
      throw new InvalidInputException("host '" + host + "': cannot list this machine's addresses: " + e.getMessage());
    }
  }

  /** What really went wrong when binding: the port in use, or the OS's own reason. */
  private RuntimeException bindFailure(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException bind) {
        String reason = bind.getMessage() == null ? "cannot bind" : bind.getMessage();
        return new InvalidInputException("cannot listen on " + options.host() + ":" + options.port() + ": "
            + (reason.toLowerCase(java.util.Locale.ROOT).contains("in use")
                ? "the port is already in use by another process" : reason));
      }
    }
    return e;
  }
}
