"""Checks that llama.cpp (node-llama-cpp) computes what the PyTorch model computes.

  python3 tools/train/verify.py --gguf MODEL.gguf [--ckpt CKPT] [--out REPORT.json]

1. Reads the GGUF back with the project's reader (tools/train/gguf.py), dequantizes the Q8_0
   tensors and builds the full-vocabulary PyTorch model from them (fp32, model.py): the
   "reference". A broken writer (dims, layout, RoPE convention, metadata) shows up here.
2. Runs the same prompts (plain and FIM) through node-llama-cpp (llamaRun.mjs): raw logits at the
   last 4 positions and the greedy continuation.
3. Compares: max |logit difference| and top-1 agreement against the reference (differences only
   from llama.cpp's own arithmetic: it quantizes activations to 8 bits for Q8_0 matmuls) and
   against the unquantized checkpoint (adds the Q8_0 weight rounding); greedy continuations must
   be equal token for token, except after a near tie (top-2 gap < 0.1 in the reference).
Exit code 1 on failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gguf  # noqa: E402
from model import Config, Model  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

PROMPTS = [
    {"name": "python-def", "text": "import os\n\n\ndef read_text(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef main():\n    "},
    {"name": "js-require", "text": "'use strict';\n\nconst fs = require('fs');\nconst path = require('path');\n\nmodule.exports = function (dir) {\n  "},
    {"name": "ts-class", "text": "export class Stack<T> {\n  private items: T[] = [];\n\n  push(item: T): void {\n    this.items.push(item);\n  }\n\n  pop(): T | undefined {\n"},
    {"name": "fim-python", "prefix": "def is_even(n):\n    ", "suffix": "\n\n\nprint(is_even(4))\n"},
    {"name": "fim-js", "prefix": "function sum(values) {\n  let total = 0;\n  for (const v of values) {\n    ", "suffix": "\n  }\n  return total;\n}\n"},
    {"name": "fim-ts-import", "prefix": "import * as path from '", "suffix": "';\nimport * as fs from 'fs';\n"},
]


def tensor_array(path, info):
    n = int(np.prod(info["dims"]))
    shape = tuple(reversed(info["dims"]))
    if info["type"] == gguf.GGML_F32:
        return np.frombuffer(gguf.tensor_bytes(path, info, 4 * n), dtype="<f4").reshape(shape)
    if info["type"] == gguf.GGML_F16:
        return np.frombuffer(gguf.tensor_bytes(path, info, 2 * n), dtype="<f2").astype(np.float32).reshape(shape)
    if info["type"] == gguf.GGML_Q8_0:
        return gguf.dequantize_q8_0(gguf.tensor_bytes(path, info, n // 32 * 34), shape)
    raise ValueError(f"type {info['type']}")


def model_from_gguf(path):
    meta, tensors, _ = gguf.read_gguf(path)
    g = lambda k: meta[k].value  # noqa: E731
    assert g("general.architecture") == b"llama"
    vocab = g("llama.vocab_size")
    cfg = Config(n_active=vocab, n_inactive=0, d_model=g("llama.embedding_length"), n_layer=g("llama.block_count"),
                 n_head=g("llama.attention.head_count"), d_ff=g("llama.feed_forward_length"), ctx=g("llama.context_length"),
                 rope_base=g("llama.rope.freq_base"), eps=g("llama.attention.layer_norm_rms_epsilon"))
    assert g("llama.rope.dimension_count") == cfg.d_model // cfg.n_head
    t = {i["name"]: torch.from_numpy(tensor_array(path, i).copy()) for i in tensors}
    sd = {"tok.weight": t["token_embd.weight"], "norm.weight": t["output_norm.weight"], "out.weight": t["output.weight"]}
    names = {"attn_norm": "attn_norm", "attn_q": "wq", "attn_k": "wk", "attn_v": "wv", "attn_output": "wo",
             "ffn_norm": "ffn_norm", "ffn_gate": "w_gate", "ffn_up": "w_up", "ffn_down": "w_down"}
    for i in range(cfg.n_layer):
        for a, b in names.items():
            sd[f"blocks.{i}.{b}.weight"] = t[f"blk.{i}.{a}.weight"]
    m = Model(cfg)
    m.load_state_dict(sd)
    return m.eval(), meta


def model_from_ckpt(path):
    ck = torch.load(path)
    m = Model(Config(**ck["config"]))
    m.load_state_dict(ck["state"])
    return m.eval(), ck["active"].numpy()


@torch.inference_mode()
def full_logits(m, tokens, active=None, vocab=None):
    """fp32 logits [T, vocab] for one sequence (full-vocab model; or a checkpoint model whose
    active logits are scattered into a vector of zeros, the inactive tokens' logit)."""
    ids = torch.tensor(tokens)
    if active is not None:
        remap = np.full(vocab, -1)
        remap[active] = np.arange(len(active))
        ids = torch.from_numpy(remap[np.array(tokens)])
        assert (ids >= 0).all(), "prompt uses a token outside the training vocabulary"
    T = len(tokens)
    h = m.hidden(ids[None], torch.arange(T)[None], torch.zeros(1, T, dtype=torch.long))[0]
    lg = m.out(h)
    if active is None:
        return lg.numpy()
    full = np.zeros((T, vocab), dtype=np.float32)
    full[:, active] = lg.numpy()
    return full


def greedy(m, tokens, n, eog, active=None, vocab=None):
    out, toks = [], list(tokens)
    for _ in range(n):
        lg = full_logits(m, toks, active, vocab)[-1]
        top2 = np.sort(lg)[-2:]
        t = int(lg.argmax())
        out.append((t, float(top2[1] - top2[0])))
        toks.append(t)
        if t in eog:
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--ckpt")
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(2)
    ref, meta = model_from_gguf(args.gguf)
    vocab = ref.c.n_active
    eog = {meta["tokenizer.ggml.eos_token_id"].value}
    ck_model, active = model_from_ckpt(args.ckpt) if args.ckpt else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        pj, oj = os.path.join(tmp, "prompts.json"), os.path.join(tmp, "out.json")
        json.dump(PROMPTS, open(pj, "w"))
        subprocess.run(["node", os.path.join(HERE, "llamaRun.mjs"), args.gguf, pj, oj], check=True)
        runs = json.load(open(oj))
    ok = True
    report = []
    for r in runs:
        toks = r["tokens"]
        ref_lg = full_logits(ref, toks)
        ck_lg = full_logits(ck_model, toks, active, vocab) if ck_model is not None else None
        pos = []
        for p in r["logits"]:
            lc = np.array(p["logits"], dtype=np.float32)
            lr = ref_lg[p["position"]]
            e = {"position": p["position"], "max_abs_diff_ref": float(np.abs(lc - lr).max()),
                 "rms_ref_logit": float(np.sqrt((lr ** 2).mean())), "top1_llama": int(lc.argmax()), "top1_ref": int(lr.argmax())}
            if ck_lg is not None:
                e["max_abs_diff_ckpt"] = float(np.abs(lc - ck_lg[p["position"]]).max())
                e["top1_ckpt"] = int(ck_lg[p["position"]].argmax())
            gap = np.sort(lr)[-1] - np.sort(lr)[-2]
            if e["top1_llama"] != e["top1_ref"] and gap >= 0.1:
                ok = False
            if e["max_abs_diff_ref"] > 0.25:
                ok = False
            pos.append(e)
        g_ref = greedy(ref, toks, len(r["greedy"]), eog)
        match = 0
        for (t, gap), tl in zip(g_ref, r["greedy"]):
            if t != tl:
                if gap >= 0.1:
                    ok = False
                break
            match += 1
        report.append({"name": r["name"], "n_prompt": len(toks), "positions": pos,
                       "greedy_llama": r["greedy"], "greedy_ref": [t for t, _ in g_ref],
                       "greedy_equal_prefix": match, "greedy_text_llama": r["greedyText"]})
        worst = max(e["max_abs_diff_ref"] for e in pos)
        print(f"{r['name']:14s} tokens {len(toks):3d}  max|dlogit| vs ref {worst:.4f}"
              + (f"  vs ckpt {max(e['max_abs_diff_ckpt'] for e in pos):.4f}" if ck_lg is not None else "")
              + f"  top1 agree {sum(e['top1_llama'] == e['top1_ref'] for e in pos)}/{len(pos)}"
              + f"  greedy equal {match}/{len(r['greedy'])}  {r['greedyText']!r}")
    print("VERIFY", "PASS" if ok else "FAIL")
    if args.out:
        json.dump({"pass": ok, "prompts": report}, open(args.out, "w"), indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
