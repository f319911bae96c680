/**
 * The moellava library facade: open a MoE-LLaVA model package and ask it about images.
 *
 * <pre>{@code
 * try (MoeLlava model = MoeLlava.open(Path.of("pkg"))) {
 *   Generation g = model.generate(Path.of("cat.png"), "What is in the image?", GenerationParams.greedy(64));
 *   System.out.println(g.text());
 * }
 * }</pre>
 *
 * <p>{@link org.moellava.api.MoeLlava} opens a model package ({@code moellava export}) on ONNX Runtime (CPU by
 * default; CUDA, ONNX Runtime's TensorRT provider or native TensorRT engines through
 * {@link org.moellava.api.Options}) and runs one generation engine with continuous batching: concurrent calls,
 * {@link org.moellava.api.MoeLlava#generateAll} and {@link org.moellava.api.MoeLlava#submit} share its decoder
 * steps. Errors are {@link org.moellava.error.MoeLlavaException}s whose one-line message names the file or field
 * at fault: {@link org.moellava.error.InvalidInputException} (a bad package, image or prompt),
 * {@link org.moellava.error.BackendUnavailableException} (a runtime or device this machine lacks),
 * {@link org.moellava.api.GenerationException} (the backend failed during a generation).
 *
 * <p>Logging goes through SLF4J; the application chooses the binding. No TensorFlow class is loaded on this path,
 * and none needs a thread stack larger than the JVM's default.
 */
package org.moellava.api;
