"""Exports a checkpoint of train.py to a llama-architecture GGUF (v3) with the project's writer.

  python3 tools/train/export.py --ckpt CKPT --vocab .vscode-test/vocabs/ggml-vocab-starcoder.gguf \
      --out media/models/tokenscope-fim-tiny.gguf [--untrained-json PATH] [--report PATH]

Tensors (llama.cpp names; PyTorch [out, in] matrices are written with GGUF dims [in, out], i.e.
innermost first): token_embd.weight and output.weight [vocab, d] (untied), blk.N.attn_q/k/v/output,
blk.N.ffn_gate/up/down as Q8_0; every *_norm.weight as F32. Q/K are not permuted: the model's RoPE
rotates adjacent pairs like llama.cpp's rope NORM (model.py).

Untrained tokens: token_embd rows of tokens outside the training vocabulary keep their seeded
initial values (N(0, 0.02^2)); their output rows stay 0. The JSON lists them.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf  # noqa: E402

FILE_TYPE_MOSTLY_Q8_0 = 7


def full_matrices(ck):
    """Full-vocabulary token_embd and output matrices (float32 numpy) from a checkpoint."""
    st = ck["state"]
    active = ck["active"].numpy()
    embd = ck["full_embd_init"].clone().numpy()
    embd[active] = st["tok.weight"].numpy()
    out = np.zeros_like(embd)
    out[active] = st["out.weight"].numpy()
    return embd, out


def build_writer(ck, vocab_path, name):
    cfg = ck["config"]
    st = ck["state"]
    meta, _, _ = gguf.read_gguf(vocab_path)
    vocab_size = len(meta["tokenizer.ggml.tokens"].value)
    d, L = cfg["d_model"], cfg["n_layer"]
    w = gguf.GgufWriter()
    w.add_str("general.architecture", "llama")
    w.add_str("general.name", name)
    w.add_str("general.description",
              "Tiny fill-in-the-middle code model (Tokenscope test/default model) trained with tools/train on the "
              "Python standard library and JS/TS from npm packages; StarCoder vocabulary.")
    w.add_u32("general.file_type", FILE_TYPE_MOSTLY_Q8_0)
    w.add_u32("general.quantization_version", 2)
    w.add_u32("llama.context_length", cfg["ctx"])
    w.add_u32("llama.embedding_length", d)
    w.add_u32("llama.block_count", L)
    w.add_u32("llama.feed_forward_length", cfg["d_ff"])
    w.add_u32("llama.attention.head_count", cfg["n_head"])
    w.add_u32("llama.attention.head_count_kv", cfg["n_head"])
    w.add_u32("llama.rope.dimension_count", d // cfg["n_head"])
    w.add_f32("llama.rope.freq_base", cfg["rope_base"])
    w.add_f32("llama.attention.layer_norm_rms_epsilon", cfg["eps"])
    w.add_u32("llama.vocab_size", vocab_size)
    # tokenizer: copied from the StarCoder vocab GGUF, plus explicit FIM / BOS handling
    for k, v in meta.items():
        if k.startswith("tokenizer."):
            w.add(k, v)
    toks = meta["tokenizer.ggml.tokens"].value
    ids = {t.decode("utf-8"): i for i, t in enumerate(toks[:32])}
    w.add_u32("tokenizer.ggml.fim_pre_token_id", ids["<fim_prefix>"])
    w.add_u32("tokenizer.ggml.fim_suf_token_id", ids["<fim_suffix>"])
    w.add_u32("tokenizer.ggml.fim_mid_token_id", ids["<fim_middle>"])
    w.add_u32("tokenizer.ggml.fim_pad_token_id", ids["<fim_pad>"])
    w.add_u32("tokenizer.ggml.eot_token_id", ids["<|endoftext|>"])
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_bool("tokenizer.ggml.add_eos_token", False)

    embd, out = full_matrices(ck)
    assert embd.shape == (vocab_size, d)
    q8, f32 = gguf.GGML_Q8_0, gguf.GGML_F32
    w.add_tensor("token_embd.weight", embd, q8)
    for i in range(L):
        p = f"blocks.{i}."
        w.add_tensor(f"blk.{i}.attn_norm.weight", st[p + "attn_norm.weight"].numpy(), f32)
        w.add_tensor(f"blk.{i}.attn_q.weight", st[p + "wq.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.attn_k.weight", st[p + "wk.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.attn_v.weight", st[p + "wv.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.attn_output.weight", st[p + "wo.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", st[p + "ffn_norm.weight"].numpy(), f32)
        w.add_tensor(f"blk.{i}.ffn_gate.weight", st[p + "w_gate.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.ffn_up.weight", st[p + "w_up.weight"].numpy(), q8)
        w.add_tensor(f"blk.{i}.ffn_down.weight", st[p + "w_down.weight"].numpy(), q8)
    w.add_tensor("output_norm.weight", st["norm.weight"].numpy(), f32)
    w.add_tensor("output.weight", out, q8)
    return w, meta


def untrained_report(ck, meta):
    vocab_size = len(meta["tokenizer.ggml.tokens"].value)
    active = set(ck["active"].tolist())
    seen = ck["seen_input"].numpy()
    toks = meta["tokenizer.ggml.tokens"].value
    never = [i for i in range(vocab_size) if i not in active]
    active_unseen = [i for i in sorted(active) if seen[i] == 0]
    embd, _ = full_matrices(ck)
    norms = np.linalg.norm(embd, axis=1)
    na = np.array(sorted(active))
    return {
        "about": "Token ids of tokenscope-fim-tiny.gguf that were never trained. 'never_trained': outside the "
                 "training vocabulary (no occurrence in the training files): their token_embd rows are the "
                 "seeded initial N(0, 0.02^2) values and their output rows are 0. 'trained_output_only': in the "
                 "training vocabulary (their output rows were trained as softmax negatives) but never fed as "
                 "input within the steps actually run, so their token_embd rows are also still initial. "
                 "Written by tools/train/export.py.",
        "vocab_size": vocab_size,
        "special_ids_trained": [i for i in range(5)],
        "never_trained_count": len(never),
        "trained_output_only_count": len(active_unseen),
        "embedding_norm": {
            "initial_expected": float(0.02 * np.sqrt(embd.shape[1])),
            "never_trained_mean": float(norms[never].mean()) if never else None,
            "never_trained_max": float(norms[never].max()) if never else None,
            "trained_mean": float(norms[na].mean()),
            "trained_min": float(norms[[i for i in na if seen[i] > 0]].min()),
        },
        "examples_never_trained": [
            {"id": i, "text": toks[i].decode("utf-8", "replace")} for i in never[:: max(1, len(never) // 40)][:40]
        ],
        "never_trained": never,
        "trained_output_only": active_unseen,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="tokenscope-fim-tiny")
    ap.add_argument("--untrained-json")
    args = ap.parse_args()
    ck = torch.load(args.ckpt)
    w, meta = build_writer(ck, args.vocab, args.name)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    size = w.write(args.out)
    sha = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
    print(f"wrote {args.out}: {size} bytes, {len(w.tensors)} tensors, {len(w.meta)} kv, sha256 {sha}")
    if args.untrained_json:
        rep = untrained_report(ck, meta)
        # one key per line, id lists on one line each (the file stays small and diffable)
        with open(args.untrained_json, "w") as f:
            f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in rep.items()) + "\n}\n")
        print(f"wrote {args.untrained_json}: {rep['never_trained_count']} never trained, "
              f"{rep['trained_output_only_count']} output-only")


if __name__ == "__main__":
    main()
