package org.moellava.serve.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.TokenDecoder;
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
 */
public final class ChatServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChatServer.class);

  private final GenerationEngine engine;
  private final ServerMetrics metrics;
  private final ServerOptions options;
  private final Javalin app;
  private final long startedSeconds = System.currentTimeMillis() / 1000;

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
    return new ChatServer(engine, new ChatTemplate(tokenizer, backend.info(), systemPrompt), imageDecoder, metrics,
        options);
  }

  private ChatServer(GenerationEngine engine, ChatTemplate template, ImageDecoder imageDecoder,
      ServerMetrics metrics, ServerOptions options) {
    this.engine = engine;
    this.metrics = metrics;
    this.options = options;
    this.app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.http.maxRequestSize = options.maxBodyBytes();
      config.jetty.modifyServer(server -> server.setErrorHandler(quietErrors()));
      config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(quietErrors()));
    });
    String page = resource("/public/index.html");
    if (options.apiKey() != null) {
      byte[] expected = ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
      app.before("/v1/*", ctx -> requireKey(ctx, expected));
    }
    app.post("/v1/chat/completions",
        new ChatCompletionsHandler(engine, template, imageDecoder, metrics, options));
    app.get("/v1/models", this::models);
    app.get("/health", this::health);
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.get("/", ctx -> ctx.html(page));
    app.exception(ApiException.class, (e, ctx) -> respond(ctx, e));
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
      respond(ctx, new ApiException(500, "server_error", null, "internal_error", "internal server error"));
    });
    app.error(404, ctx -> respond(ctx, new ApiException(404, "invalid_request_error", null, "not_found",
        "no route for " + ctx.method() + " " + ctx.path())));
  }

  /** Starts listening on the configured host and port. */
  public ChatServer start() {
    app.start(options.host(), options.port());
    LOG.info("serving {} on http://{}:{} with backend {}", engine.info().modelId(), options.host(), port(),
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

  /** Stops the HTTP server and the engine. */
  @Override
  public void close() {
    app.stop();
    engine.close();
  }

  private void models(Context ctx) {
    ModelInfo info = engine.info();
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("object", "list");
    ObjectNode model = root.putArray("data").addObject();
    model.put("id", info.modelId());
    model.put("object", "model");
    model.put("created", startedSeconds);
    model.put("owned_by", "moellava");
    model.put("max_model_len", info.maxContext());
    info.moeLayers().forEach(model.putArray("moe_layers")::add);
    model.put("num_experts", info.numExperts());
    model.put("experts_per_token", info.expertsPerToken());
    ctx.contentType("application/json").result(root.toString());
  }

  private void health(Context ctx) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("status", "ok");
    root.put("model", engine.info().modelId());
    root.put("backend", engine.backendName());
    root.put("queue_depth", engine.queueDepth());
    root.put("active_sequences", engine.activeCount());
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
    if (e.retryAfterSeconds() != null) {
      ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
    }
    ctx.status(e.status()).contentType("application/json").result(Json.error(e).toString());
  }

  private static ErrorHandler quietErrors() {
    ErrorHandler handler = new ErrorHandler();
    handler.setShowStacks(false);
    handler.setShowServlet(false);
    handler.setShowMessageInTitle(false);
    return handler;
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
}
