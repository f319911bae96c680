package org.moellava.examples;

import java.nio.file.Path;
import org.moellava.api.Generation;
import org.moellava.api.GenerationParams;
import org.moellava.api.MoeLlava;
import org.moellava.error.MoeLlavaException;

/** Captions an image: {@code Caption MODEL_PACKAGE IMAGE [QUESTION]}. */
public final class Caption {
  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: Caption MODEL_PACKAGE IMAGE [QUESTION]");
      System.exit(2);
    }
    String question = args.length > 2 ? args[2] : "Describe the image.";
    try (MoeLlava model = MoeLlava.open(Path.of(args[0]))) {
      Generation answer = model.generate(Path.of(args[1]), question, GenerationParams.greedy(32));
      System.out.println(answer.text());
      System.out.printf("%d tokens in %d ms: %.1f tokens/s (%s, finish %s)%n",
          answer.usage().completionTokens(), answer.elapsed().toMillis(), answer.tokensPerSecond(),
          model.details().backend(), answer.finishReason());
    } catch (MoeLlavaException e) {
      System.err.println("caption: " + e.getMessage());
      System.exit(e.exitCode());
    }
  }
}
