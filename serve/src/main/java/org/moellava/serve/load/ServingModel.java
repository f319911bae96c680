package org.moellava.serve.load;

import org.moellava.image.ImagePreprocessor;
import org.moellava.runtime.Backend;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.prompt.ImageDecoder;
import org.moellava.serve.prompt.PromptTokenizer;
import org.moellava.serve.adapters.PreprocessorImageDecoder;

/**
 * A loaded model with everything the server and {@code generate} need: the backend, the tokenizer (as prompt
 * tokenizer and token decoder), the image preprocessing of training and the model's system prompt. Closing it
 * closes the backend and the tokenizer.
 *
 * @param backend the backend
 * @param tokenizer text to ids
 * @param decoder ids to text
 * @param preprocessor the model's image preprocessing
 * @param systemPrompt the chat template's system prompt ({@code system_prompt} of the config / {@code model.json})
 * @param idsOnly whether the model has no tokenizer and prompts are token ids ({@code --ids-only})
 * @param tokenizerResource closed with the model (the native tokenizer), or null
 */
public record ServingModel(Backend backend, PromptTokenizer tokenizer, TokenDecoder decoder,
    ImagePreprocessor preprocessor, String systemPrompt, boolean idsOnly, AutoCloseable tokenizerResource)
    implements AutoCloseable {

  /** The image decoder with the given limits over {@link #preprocessor()}. */
  public ImageDecoder imageDecoder(long maxPixels, long maxBytes) {
    return new PreprocessorImageDecoder(preprocessor, maxPixels, maxBytes);
  }

  @Override
  public void close() {
    try {
      backend.close();
    } finally {
      if (tokenizerResource != null) {
        try {
          tokenizerResource.close();
        } catch (Exception ignored) {
          // the native tokenizer frees nothing else
        }
      }
    }
  }
}
