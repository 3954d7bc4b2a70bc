"""Collects the numbers of one run into tools/train/results.json (committed with the model).

  python3 tools/train/report.py --work tools/train/work --gguf MODEL.gguf --out tools/train/results.json
"""
import argparse
import hashlib
import json
import os

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timings")
    args = ap.parse_args()
    ck = torch.load(os.path.join(args.work, "ckpt.pt"))
    rep = dict(ck["report"])
    log = rep.pop("log")
    man = json.load(open(os.path.join(args.work, "data", "manifest.json")))
    ver = json.load(open(os.path.join(args.work, "verify.json")))
    ev = json.load(open(os.path.join(args.work, "eval.json")))
    data = open(args.gguf, "rb").read()
    cfg = ck["config"]
    examples = []
    for r in ev["results"][:12]:
        examples.append({k: r[k] for k in ("file", "mode", "middle", "generated", "exact")} |
                        {"prefix_tail": "\n".join(r["prefix"].split("\n")[-3:]), "suffix_head": "\n".join(r["suffix"].split("\n")[:3])})
    out = {
        "model": {
            "file": os.path.relpath(os.path.abspath(args.gguf), ROOT), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "architecture": "llama", "vocab_size": man["vocab"]["size"], "d_model": cfg["d_model"],
            "n_layer": cfg["n_layer"], "n_head": cfg["n_head"], "head_dim": cfg["d_model"] // cfg["n_head"],
            "d_ff": cfg["d_ff"], "context": cfg["ctx"], "rope_base": cfg["rope_base"], "rms_eps": cfg["eps"],
            "n_active_vocab": cfg["n_active"], "n_never_trained": cfg["n_inactive"],
            "params_total": man["vocab"]["size"] * cfg["d_model"] * 2 + cfg["n_layer"] * (
                4 * cfg["d_model"] ** 2 + 3 * cfg["d_model"] * cfg["d_ff"] + 2 * cfg["d_model"]) + cfg["d_model"],
        },
        "data": {
            "seed": man["seed"], "fim_rate": man["fimRate"], "chunk_chars": man["chunkChars"],
            "train": man["train"], "heldout": man["heldout"], "filters": man["filters"],
            "prepare_seconds": man["seconds"],
        },
        "training": rep | {"loss_curve": [{k: e[k] for k in ("step", "elapsed", "tokens", "loss_ema", "tok_per_s")} for e in log[:: max(1, len(log) // 25)]]},
        "verify": {"pass": ver["pass"], "prompts": [
            {"name": p["name"], "max_abs_logit_diff_vs_gguf_reference": max(x["max_abs_diff_ref"] for x in p["positions"]),
             "max_abs_logit_diff_vs_checkpoint": max(x.get("max_abs_diff_ckpt", float("nan")) for x in p["positions"]),
             "greedy_equal": f"{p['greedy_equal_prefix']}/{len(p['greedy_llama'])}", "greedy_text": p["greedy_text_llama"]}
            for p in ver["prompts"]]},
        "eval": ev["summary"],
        "examples": examples,
        "heldout_files": [f["path"] for f in man["files"]["heldout"]],
    }
    if args.timings:
        out["pipeline_seconds"] = json.load(open(args.timings))
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
