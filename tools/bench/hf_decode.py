#!/usr/bin/env python3
"""Batch-1 greedy decode of an `export hf` folder on Hugging Face transformers (eager attention, PyTorch CPU).

`moellava bench backends --python PY` starts this script once and drives it over stdin/stdout, so that its rounds
interleave with the Java backends' rounds in one run (the same machine noise hits both):

  started:        prints one JSON line {"event": "ready", "torch": ..., "transformers": ..., "threads": ...,
                  "load_seconds": ...}
  stdin "round":  runs one generation and prints {"event": "round", "tokens": [...], "prefill_ms": ...,
                  "decode_tokens_per_second": ...}
  stdin EOF:      exits 0

One generation mirrors the project's serving engine at batch 1: the prompt's ids in one forward pass (the first
token), then one token per step over the KV cache (transformers' DynamicCache), greedy (argmax, ties to the lower
id, as torch.argmax), the image placeholder id never chosen (the engine bans it), stopping after --new-tokens tokens
or at end-of-sequence. Decode tokens/s is, as in the engine's bench, (tokens - 1) / (time after the first token).

Errors go to stderr as one line and exit non-zero. Run with the versions pinned in tools/fixtures/requirements.txt.
"""
import argparse
import json
import sys
import time

PINNED = {"torch": "2.13.0+cpu", "transformers": "5.18.0"}  # as in tools/fixtures/requirements.txt


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a folder written by `moellava export hf`")
    parser.add_argument("--prompt", required=True, help="the prompt's token ids, comma-separated")
    parser.add_argument("--new-tokens", type=int, required=True, help="tokens to generate (the first from prefill)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    args = parser.parse_args()
    if args.new_tokens < 2:
        parser.error("--new-tokens must be at least 2")
    try:
        prompt = [int(t) for t in args.prompt.split(",") if t]
    except ValueError:
        parser.error("--prompt must be comma-separated integers")
    if not prompt:
        parser.error("--prompt is empty")

    import torch
    import transformers
    from transformers import LlavaForConditionalGeneration

    for name, module in (("torch", torch), ("transformers", transformers)):
        if module.__version__ != PINNED[name]:
            print(f"warning: {name} {module.__version__} is not the pinned {PINNED[name]}", file=sys.stderr)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model = LlavaForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32,
                                                          attn_implementation="eager").eval()
    load_seconds = time.perf_counter() - t0
    vocab = model.config.text_config.vocab_size
    banned = model.config.image_token_index
    eos = model.config.text_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    if any(t < 0 or t >= vocab for t in prompt):
        print(f"error: a prompt id is outside the vocabulary [0, {vocab})", file=sys.stderr)
        sys.exit(2)
    emit({"event": "ready", "torch": torch.__version__, "transformers": transformers.__version__,
          "threads": torch.get_num_threads(), "load_seconds": load_seconds})

    def pick(logits):  # logits [1, S, V]: greedy over the last position, the image placeholder excluded
        last = logits[0, -1].clone()
        last[banned] = float("-inf")
        return int(torch.argmax(last).item())

    for line in sys.stdin:
        command = line.strip()
        if command != "round":
            print(f"error: unknown command {command!r} (expected 'round')", file=sys.stderr)
            sys.exit(2)
        with torch.inference_mode():
            ids = torch.tensor([prompt], dtype=torch.long)
            t0 = time.perf_counter()
            out = model(input_ids=ids, use_cache=True)
            tokens = [pick(out.logits)]
            t1 = time.perf_counter()
            cache = out.past_key_values
            while len(tokens) < args.new_tokens and tokens[-1] not in eos:
                out = model(input_ids=torch.tensor([[tokens[-1]]], dtype=torch.long), past_key_values=cache,
                            use_cache=True)
                cache = out.past_key_values
                tokens.append(pick(out.logits))
            t2 = time.perf_counter()
        rate = (len(tokens) - 1) / (t2 - t1) if len(tokens) > 1 else None
        emit({"event": "round", "tokens": tokens, "prefill_ms": (t1 - t0) * 1e3, "decode_tokens_per_second": rate})


if __name__ == "__main__":
    main()
