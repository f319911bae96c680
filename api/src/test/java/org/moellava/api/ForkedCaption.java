package org.moellava.api;

import java.nio.file.Path;
import java.util.Arrays;
import org.moellava.error.MoeLlavaException;

/**
 * Run by {@link ClasspathTest} in a JVM whose classpath is exactly moellava-api's runtime classpath plus the test
 * classes, with the JVM's default thread stack: captions {@code args[1]} with the package {@code args[0]} and prints
 * the token ids on a line starting with {@code ids:}; then tries the TensorFlow backend, which needs
 * moellava-graph-builder, and prints its error on a line starting with {@code tensorflow:}.
 */
public final class ForkedCaption {
  private ForkedCaption() {}

  /**
   * Captions an image.
   *
   * @param args the package directory and the image file
   */
  public static void main(String[] args) {
    try (MoeLlava model = MoeLlava.open(Path.of(args[0]))) {
      Generation g = model.generate(Path.of(args[1]), "what is in this image?", GenerationParams.greedy(12));
      System.out.println("text: " + g.text());
      System.out.println("ids: " + Arrays.toString(g.tokenIds()));
      System.out.println("backend: " + model.details().backend());
    }
    try (MoeLlava tf = MoeLlava.open(Path.of(args[0]), Options.builder().backend(Options.Backend.TENSORFLOW).build())) {
      System.out.println("tensorflow: opened without TensorFlow on the classpath");
    } catch (MoeLlavaException e) {
      System.out.println("tensorflow: " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
