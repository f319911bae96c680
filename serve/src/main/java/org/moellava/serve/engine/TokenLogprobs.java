package org.moellava.serve.engine;

/**
 * Log probabilities at one generated position, from the model's own distribution: the log-softmax of the
 * backend's logits over the whole vocabulary, in double, before logit bias, penalties, temperature, top-k and top-p
 * (vLLM's default, {@code raw_logprobs}). So they do not depend on the sampling parameters, and a token the sampler
 * could not pick (a banned or biased-away one) still shows its model probability.
 *
 * @param tokenId the generated token
 * @param logprob its log probability
 * @param topIds the most likely tokens at this position, most likely first, ties to the lower id (as many as asked)
 * @param topLogprobs their log probabilities
 */
public record TokenLogprobs(int tokenId, double logprob, int[] topIds, double[] topLogprobs) {}
