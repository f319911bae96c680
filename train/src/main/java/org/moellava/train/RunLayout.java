package org.moellava.train;

import java.nio.file.Path;

/**
 * The files of a training run:
 * <pre>
 *   RUN_DIR/config.json                         the run's model and training config
 *   RUN_DIR/tokenizer.json                      the tokenizer every checkpoint carries
 *   RUN_DIR/metrics.jsonl                       one JSON line per optimiser step, with a "stage" field
 *   RUN_DIR/&lt;stage&gt;/checkpoints/step-NNNNNN     step checkpoints (model + optimiser state), newest K kept
 *   RUN_DIR/&lt;stage&gt;/final                       the stage's result (model weights only), read by later stages,
 *                                               eval and export
 * </pre>
 *
 * @param root RUN_DIR
 */
public record RunLayout(Path root) {
  public Path config() {
    return root.resolve("config.json");
  }

  public Path tokenizer() {
    return root.resolve("tokenizer.json");
  }

  public Path metrics() {
    return root.resolve("metrics.jsonl");
  }

  public Path stageDir(Stage stage) {
    return root.resolve(stage.label());
  }

  public Path checkpoints(Stage stage) {
    return stageDir(stage).resolve("checkpoints");
  }

  public Path finalCheckpoint(Stage stage) {
    return stageDir(stage).resolve("final");
  }
}
