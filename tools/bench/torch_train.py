#!/usr/bin/env python3
"""PyTorch eager reference for `moellava bench train`: trains the same model on the same micro-batches.

Inputs, written by the bench (org.moellava.train.StageReplay):
  --model DIR     the stage's starting weights as `moellava export hf` writes them (LlavaForConditionalGeneration,
                  CLIP tower + Qwen2-MoE text model)
  --batches FILE  safetensors: input_ids.{i}, attention_mask.{i}, labels.{i} [B,S] int64 and pixel_values.{i}
                  [B,3,H,W] f32 for step i (a text-only row's image is unused), lr [steps] f32 (the cosine schedule the Java trainer uses)

What it does per step, as the Java trainer: forward with the vision tower frozen, the shifted mean cross-entropy
over labels != -100 (transformers' own loss), in stage 3 plus router_aux_loss_coef x the load-balancing loss of
each MoE layer's router logits; backward; clip to max_grad_norm; AdamW (decay on matrices except embeddings);
lr of the step. Stage 2 trains everything but the vision tower; stage 3 the FFNs (experts, routers, dense FFNs)
and the projector.

Prints one JSON object: tokens (real tokens: attention_mask ones) and seconds over the steps after --warmup,
tokens_per_s, per-step losses and seconds, versions.
Pinned versions: tools/fixtures/requirements.txt (torch 2.13.0+cpu, transformers 5.18.0).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import transformers
from safetensors.torch import load_file
from transformers import LlavaForConditionalGeneration
from transformers.models.qwen2_moe.modeling_qwen2_moe import Qwen2MoeTopKRouter, load_balancing_loss_func


def trained(name: str, stage: int) -> bool:
    if "vision_tower" in name:
        return False
    if stage == 2:
        return True
    # stage 3: FFNs of every layer (experts, routers, dense MLPs) and the projector
    return "multi_modal_projector" in name or (".mlp." in name and "shared_expert" not in name)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--batches", required=True)
    p.add_argument("--stage", type=int, choices=(2, 3), required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3, help="steps run but not timed")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.999)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--attn", default="sdpa", help="transformers attn_implementation (sdpa is its default)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(a.model, dtype=torch.float32, attn_implementation=a.attn)
    model.train()
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        param.requires_grad_(trained(name, a.stage))
        if param.requires_grad:
            (decay if param.ndim >= 2 and "embed_tokens" not in name else no_decay).append(param)
    params = decay + no_decay
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=0.0, betas=(a.beta1, a.beta2), eps=a.eps)

    text = model.config.text_config
    router_logits = []
    if a.stage == 3:
        for module in model.modules():
            if isinstance(module, Qwen2MoeTopKRouter):
                module.register_forward_hook(lambda m, i, out: router_logits.append(out[0]))

    data = load_file(a.batches)
    lrs = data["lr"].tolist()
    steps = len(lrs)
    if a.warmup >= steps:
        print(f"--warmup {a.warmup} must be below the {steps} steps in {a.batches}", file=sys.stderr)
        return 2
    losses, ces, seconds, tokens = [], [], [], []
    for i in range(steps):
        ids = data[f"input_ids.{i}"]
        mask = data[f"attention_mask.{i}"]
        labels = data[f"labels.{i}"]
        # transformers' LLaVA takes the images of the rows that show one (a text-only row has no image tokens)
        pixels = data[f"pixel_values.{i}"][(ids == model.config.image_token_index).any(dim=1)]
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lrs[i]
        opt.zero_grad(set_to_none=True)
        router_logits.clear()
        out = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, labels=labels)
        loss = out.loss
        ce = loss.detach()
        if a.stage == 3:
            aux = load_balancing_loss_func(tuple(router_logits), text.num_experts, text.num_experts_per_tok, mask)
            loss = loss + text.router_aux_loss_coef * aux
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.max_grad_norm)
        opt.step()
        seconds.append(time.perf_counter() - t0)
        losses.append(float(loss.detach()))
        ces.append(float(ce))
        tokens.append(int(mask.sum()))
    timed_s = sum(seconds[a.warmup:])
    timed_tokens = sum(tokens[a.warmup:])
    print(json.dumps({
        "stage": a.stage, "steps": steps, "warmup": a.warmup, "threads": a.threads,
        "tokens": timed_tokens, "seconds": round(timed_s, 4),
        "tokens_per_s": round(timed_tokens / timed_s, 1),
        "step_s_median": round(statistics.median(seconds[a.warmup:]), 4),
        "losses": losses, "ce": ces, "step_s": [round(s, 4) for s in seconds], "step_tokens": tokens,
        "trained_parameters": sum(p.numel() for p in params),
        "torch": torch.__version__, "transformers": transformers.__version__, "attn_implementation": a.attn,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
