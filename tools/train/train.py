"""Trains the tiny llama-architecture FIM model on the data of prepareData.mjs (CPU, time-bounded).

  python3 tools/train/train.py --data DIR --out CKPT [--budget-seconds 2100 | --steps N] [--seed S]

- Vocabulary: the ACTIVE tokens only (ids occurring in the training samples, plus the special
  tokens <|endoftext|>, <fim_prefix>, <fim_middle>, <fim_suffix>, <fim_pad>). The softmax has one
  extra column for all other tokens (see model.py): exact full-vocabulary training with their
  output rows frozen at 0. Their input-embedding rows are never used and keep their initial values.
- Samples (one per chunk, <= 512 tokens, half of them FIM) are packed into rows of 512 tokens
  (best fit); attention never crosses samples (block-diagonal causal mask), positions restart at 0
  in every sample, exactly as at inference. Loss: next-token cross-entropy on every token of every
  sample (FIM sentinels, prefix, suffix, middle and <|endoftext|> alike).
- Time bound: the LR schedule (linear warm-up, cosine decay to 10 %) runs on the fraction of the
  wall-clock budget used, so training ends on time, fully decayed, however fast the machine is
  that day. --steps N instead runs the schedule on steps (exactly repeatable).
- bf16 autocast for the matmuls where the CPU has native bf16 (AVX-512 BF16 / AMX: 5x faster than
  fp32), fp32 elsewhere (see model.COMPUTE_DTYPE); weights, optimizer state, softmax and loss stay fp32.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf  # noqa: E402
from model import COMPUTE_DTYPE, USE_BF16, Config, Model  # noqa: E402

SPECIAL_IDS = None  # from the manifest


def load_split(data, name):
    toks = np.fromfile(os.path.join(data, f"{name}.tokens.u16"), dtype="<u2")
    idx = np.fromfile(os.path.join(data, f"{name}.index.u32"), dtype="<u4")
    return [toks[idx[i] : idx[i + 1]] for i in range(len(idx) - 1)]


def pack(samples, order, ctx):
    """Best-fit packing of samples (in the given order) into rows of ctx tokens.
    Returns a list of rows, each a list of sample indices."""
    rows, room = [], []
    OPEN = 64
    open_rows = []  # indices into rows
    for i in order:
        n = len(samples[i])
        best, best_room = -1, ctx + 1
        for r in open_rows:
            if n <= room[r] < best_room:
                best, best_room = r, room[r]
        if best < 0:
            rows.append([])
            room.append(ctx)
            best = len(rows) - 1
            open_rows.append(best)
            if len(open_rows) > OPEN:
                # close the fullest open row
                full = min(open_rows, key=lambda r: room[r])
                open_rows.remove(full)
        rows[best].append(i)
        room[best] -= n
        if room[best] < 8 and best in open_rows:
            open_rows.remove(best)
    return rows


def make_batch(samples, rows, remap, ctx):
    B = len(rows)
    idx = np.zeros((B, ctx), dtype=np.int64)
    pos = np.zeros((B, ctx), dtype=np.int64)
    seg = np.full((B, ctx), -1, dtype=np.int64)
    tgt = np.full((B, ctx), -1, dtype=np.int64)
    for b, row in enumerate(rows):
        at = 0
        for k, i in enumerate(row):
            s = remap[samples[i].astype(np.int64)]
            n = len(s)
            idx[b, at : at + n] = s
            pos[b, at : at + n] = np.arange(n)
            seg[b, at : at + n] = k
            tgt[b, at : at + n - 1] = s[1:]
            at += n
        # padding: its own segment (attends only to padding), no targets
        seg[b, at:] = len(row)
    return [torch.from_numpy(a) for a in (idx, pos, seg, tgt)]


@torch.inference_mode()
def evaluate(model, samples, remap, ctx, batch_rows, fim_prefix_id, full_embd, max_tokens=None):
    """Per-token loss (nats) over all targets of the given samples; also split by sample kind.
    Exact for the exported full-vocabulary model: an inactive input token uses its (untrained)
    initial embedding row; an inactive target gets the probability of the inactive column / count."""
    model.eval()
    n_active = model.c.n_active
    order = list(range(len(samples)))
    rows = pack(samples, order, ctx)
    tot = {"all": [0.0, 0], "fim": [0.0, 0], "plain": [0.0, 0]}
    seen = 0
    for r0 in range(0, len(rows), batch_rows):
        chunk = rows[r0 : r0 + batch_rows]
        idx, pos, seg, tgt = make_batch(samples, chunk, remap, ctx)
        # per-sample kind mask: FIM samples start with <fim_prefix>
        kind = torch.zeros_like(tgt, dtype=torch.bool)
        for b, row in enumerate(chunk):
            at = 0
            for i in row:
                n = len(samples[i])
                if samples[i][0] == fim_prefix_id:
                    kind[b, at : at + n] = True
                at += n
        # input embeddings: trained rows for active ids, initial rows for inactive ones
        full_ids = np.zeros(idx.shape, dtype=np.int64)
        for b, row in enumerate(chunk):
            at = 0
            for i in row:
                n = len(samples[i])
                full_ids[b, at : at + n] = samples[i]
                at += n
        inactive_in = idx == n_active
        x = model.tok(idx.clamp(max=n_active - 1))
        if inactive_in.any():
            x[inactive_in] = full_embd[torch.from_numpy(full_ids)[inactive_in]]
        keep = tgt >= 0
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=USE_BF16):
            h = model.hidden(idx, pos, seg, x=x)
        h, t = h[keep].to(COMPUTE_DTYPE), tgt[keep]
        Wb = model.out.weight.to(COMPUTE_DTYPE)
        nll = torch.empty(t.shape[0])
        for s in range(0, t.shape[0], 256):
            lg = (h[s : s + 256] @ Wb.t()).float()
            lse = torch.logsumexp(lg, -1)
            if model.log_inactive is not None:
                lse = torch.logaddexp(lse, torch.tensor(model.log_inactive))
            ts = t[s : s + 256]
            tl = lg.gather(1, ts.clamp(max=n_active - 1)[:, None])[:, 0]
            # an inactive target: its own logit is 0 (zero output row)
            nll[s : s + 256] = lse - torch.where(ts == n_active, torch.tensor(0.0), tl)
        k = kind[keep]
        tot["all"][0] += nll.sum().item()
        tot["all"][1] += nll.numel()
        tot["fim"][0] += nll[k].sum().item()
        tot["fim"][1] += int(k.sum())
        tot["plain"][0] += nll[~k].sum().item()
        tot["plain"][1] += int((~k).sum())
        seen += nll.numel()
        if max_tokens and seen >= max_tokens:
            break
    model.train()
    return {k: {"loss": (v[0] / v[1]) if v[1] else None, "tokens": v[1]} for k, v in tot.items()}


def load_init_gguf(path, vocab_size):
    """Weights of a model exported by export.py (Q8_0 dequantized: the continued run starts from
    exactly what llama.cpp runs), mapped back to the PyTorch names, and which ids it had trained."""
    meta, tensors, _ = gguf.read_gguf(path)
    mats = {}
    for t in tensors:
        shape = tuple(reversed(t["dims"]))  # GGUF dims are innermost first
        n = int(np.prod(shape))
        if t["type"] == gguf.GGML_Q8_0:
            raw = gguf.tensor_bytes(path, t, n // 32 * 34)
            mats[t["name"]] = gguf.dequantize_q8_0(raw, shape)
        elif t["type"] == gguf.GGML_F32:
            mats[t["name"]] = np.frombuffer(gguf.tensor_bytes(path, t, n * 4), dtype="<f4").reshape(shape).copy()
        else:
            raise ValueError(f"{path}: tensor {t['name']} has type {t['type']} (export.py writes Q8_0 / F32)")
    names = {"attn_norm": "attn_norm", "attn_q": "wq", "attn_k": "wk", "attn_v": "wv", "attn_output": "wo",
             "ffn_norm": "ffn_norm", "ffn_gate": "w_gate", "ffn_up": "w_up", "ffn_down": "w_down"}
    state = {"norm.weight": mats["output_norm.weight"]}
    for name, m in mats.items():
        if name.startswith("blk."):
            _, i, part, _ = name.split(".")
            state[f"blocks.{i}.{names[part]}.weight"] = m
    rep = json.load(open(path[: -len(".gguf")] + ".untrained.json"))
    never = set(rep["never_trained"])
    trained = np.array([i for i in range(vocab_size) if i not in never], dtype=np.int64)
    seen = np.array(sorted(set(trained.tolist()) - set(rep["trained_output_only"])), dtype=np.int64)
    print(f"init: {path} ({len(trained)} trained ids)", flush=True)
    return {"embd": mats["token_embd.weight"].astype(np.float32), "out": mats["output.weight"].astype(np.float32),
            "state": state, "trained": trained, "seen": seen}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--budget-seconds", type=float, default=2900)
    ap.add_argument("--steps", type=int, default=0, help="fixed step count instead of the time budget")
    ap.add_argument("--batch-rows", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=float, default=0.04, help="warm-up fraction of the schedule")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=6)
    ap.add_argument("--d-ff", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init-gguf", help="continue training from this GGUF (exported by export.py; its "
                    ".untrained.json beside it says which rows were trained)")
    ap.add_argument("--log-every", type=int, default=50)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    manifest = json.load(open(os.path.join(args.data, "manifest.json")))
    sp = manifest["vocab"]["special"]
    vocab_size = manifest["vocab"]["size"]
    ctx = manifest["context"]
    specials = sorted({sp["eot"], sp["fimPrefix"], sp["fimMiddle"], sp["fimSuffix"], sp["fimPad"]})

    train = load_split(args.data, "train")
    held = load_split(args.data, "heldout")
    counts = np.bincount(np.concatenate(train), minlength=vocab_size)
    active = np.union1d(np.nonzero(counts)[0], specials).astype(np.int64)
    init = load_init_gguf(args.init_gguf, vocab_size) if args.init_gguf else None
    if init is not None:
        # rows trained before stay trained (and exported), whether or not this data uses them
        active = np.union1d(active, init["trained"]).astype(np.int64)
    n_active = len(active)
    n_inactive = vocab_size - n_active
    # inactive ids map to the extra softmax column (index n_active); they occur only in held-out text
    remap = np.full(vocab_size, n_active, dtype=np.int64)
    remap[active] = np.arange(n_active)
    print(f"train: {len(train)} samples, {counts.sum()} tokens; active vocab {n_active}, inactive {n_inactive}", flush=True)

    cfg = Config(n_active=n_active, n_inactive=n_inactive, d_model=args.d_model, n_layer=args.n_layer,
                 n_head=args.n_head, d_ff=args.d_ff, ctx=ctx)
    model = Model(cfg)
    gen = torch.Generator().manual_seed(args.seed)
    model.init_weights(gen)
    # The full input embedding is initialised (seeded) over the whole vocabulary; the active rows
    # are the ones trained. Inactive rows are exported unchanged.
    full_embd = torch.randn(vocab_size, cfg.d_model, generator=torch.Generator().manual_seed(args.seed + 1)) * 0.02
    if init is not None:
        full_embd = torch.from_numpy(init["embd"]).clone()
    with torch.no_grad():
        model.tok.weight.copy_(full_embd[torch.from_numpy(active)])
        if init is not None:
            model.out.weight.copy_(torch.from_numpy(init["out"][active]))
            sd = model.state_dict()
            for k, v in init["state"].items():
                assert sd[k].shape == v.shape, (k, sd[k].shape, v.shape)
                sd[k].copy_(torch.from_numpy(v))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {cfg.to_dict()} params (active) {n_params}", flush=True)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if (n.endswith("norm.weight") or n.startswith("tok.")) else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    rs = np.random.RandomState(args.seed)
    epoch = 0
    rows = []
    seen_input = np.zeros(vocab_size, dtype=np.int64)  # how often each id was fed as input
    if init is not None:
        seen_input[init["seen"]] = 1  # fed as input by the run that made the initial model
    t0 = time.time()
    step = 0
    tokens_seen = 0
    ema = None
    log = []

    def progress():
        if args.steps:
            return step / args.steps
        return (time.time() - t0) / args.budget_seconds

    def lr_at(f):
        if f < args.warmup:
            return args.lr * max(f / args.warmup, 0.02)
        q = min(1.0, (f - args.warmup) / (1 - args.warmup))
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * q)))

    while progress() < 1.0:
        if not rows:
            order = rs.permutation(len(train))
            rows = pack(train, order, ctx)
            rows = [rows[i] for i in rs.permutation(len(rows))]
            epoch += 1
            print(f"epoch {epoch}: {len(rows)} rows, fill {sum(len(train[i]) for r in rows for i in r) / (len(rows) * ctx):.3f}", flush=True)
        batch, rows = rows[: args.batch_rows], rows[args.batch_rows :]
        idx, pos, seg, tgt = make_batch(train, batch, remap, ctx)
        for r in batch:
            for i in r:
                np.add.at(seen_input, train[i][:-1].astype(np.int64), 1)
        lr = lr_at(progress())
        for g in opt.param_groups:
            g["lr"] = lr
        loss, n = model.loss(idx, pos, seg, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += n
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % args.log_every == 0:
            el = time.time() - t0
            rec = {"step": step, "epoch": epoch, "elapsed": round(el, 1), "tokens": tokens_seen, "lr": lr,
                   "loss": round(loss.item(), 4), "loss_ema": round(ema, 4), "tok_per_s": round(tokens_seen / el)}
            log.append(rec)
            print(json.dumps(rec), flush=True)
    train_seconds = time.time() - t0
    print(f"trained {step} steps, {tokens_seen} target tokens in {train_seconds:.0f} s", flush=True)

    # Losses: held-out (all of it) and the same amount of training data (first samples of the file order).
    t1 = time.time()
    held_eval = evaluate(model, held, remap, ctx, 8, sp["fimPrefix"], full_embd)
    n_held = held_eval["all"]["tokens"]
    train_eval = evaluate(model, train, remap, ctx, 8, sp["fimPrefix"], full_embd, max_tokens=n_held)
    print(f"held-out loss {held_eval}\ntrain loss {train_eval} ({time.time() - t1:.0f} s)", flush=True)
    held_counts = np.bincount(np.concatenate(held), minlength=vocab_size)

    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save({
        "config": cfg.to_dict(),
        "state": state,
        "active": torch.from_numpy(active),
        "full_embd_init": full_embd,
        "seen_input": torch.from_numpy(seen_input),
        "train_counts": torch.from_numpy(counts),
        "heldout_inactive_tokens": int(held_counts[remap == n_active].sum()),
        "report": {
            "seed": args.seed, "steps": step, "epochs_started": epoch, "batch_rows": args.batch_rows, "ctx": ctx,
            "tokens_per_step": args.batch_rows * ctx, "target_tokens_seen": tokens_seen,
            "train_seconds": round(train_seconds, 1), "budget_seconds": args.budget_seconds if not args.steps else None,
            "fixed_steps": args.steps or None, "lr": args.lr, "warmup": args.warmup, "threads": args.threads,
            "train_loss_final_ema": ema, "heldout": held_eval, "train": train_eval,
            "n_active": n_active, "n_inactive": n_inactive, "params_active": n_params,
            "log": log,
        },
    }, args.out)
    print(f"saved {args.out}", flush=True)


if __name__ == "__main__":
    main()
