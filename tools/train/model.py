"""Llama-architecture decoder (RMSNorm, RoPE, SwiGLU, no biases) matching llama.cpp's `llama` graph.

RoPE convention: llama.cpp's LLAMA arch uses rope type NORM, which rotates ADJACENT pairs
(x[2i], x[2i+1]) by theta_i = pos * base^(-2i/head_dim). This model does the same, so Q/K
weights are exported unpermuted (HF checkpoints rotate halves and llama.cpp's converter permutes
them instead). Checked against llama.cpp's logits by tools/train/verify.py (with llamaRun.mjs).

Vocabulary: the model is trained on the ACTIVE vocabulary only (`n_active` rows). The output layer
has one extra logit standing for all inactive tokens: their output rows are kept at zero (their
initial value), so each has logit exactly 0 and together they add log(n_inactive) as one column
of the softmax -- exactly the full-vocabulary softmax with those rows frozen at zero.
"""
import math

import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def _cpu_has_fast_bf16():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# Matmul precision. bf16 is ~5x faster than fp32 where oneDNN has native bf16 (AVX-512 BF16 / AMX),
# but emulated, hence far slower, elsewhere (measured on a 2-core AMD EPYC with AVX2 only: the first
# 50 steps had not finished after 4 minutes, against 19 s on an AVX-512 BF16 machine). So bf16 only
# where the CPU has it; TRAIN_PRECISION=bf16|fp32 forces one. Weights, optimizer state, softmax and
# loss are fp32 either way.
_forced = os.environ.get("TRAIN_PRECISION")
COMPUTE_DTYPE = {"bf16": torch.bfloat16, "fp32": torch.float32}[_forced] if _forced else (
    torch.bfloat16 if _cpu_has_fast_bf16() else torch.float32)
USE_BF16 = COMPUTE_DTYPE == torch.bfloat16


class ChunkedCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of logits h @ W.T (+ one constant column log_extra for the inactive
    tokens; target index == W.shape[0] means "an inactive token"), computed in row chunks of
    `chunk` tokens with COMPUTE_DTYPE matmuls and fp32 softmax. Only the log-sum-exp per row is kept; the
    backward recomputes each chunk's logits, so the [tokens, vocab] matrix is never materialized
    (the logits pass stays in cache: 2x faster than linear + F.cross_entropy here)."""

    @staticmethod
    def forward(ctx, h, W, tgt, log_extra, chunk):
        hb, Wb = h.to(COMPUTE_DTYPE), W.to(COMPUTE_DTYPE)
        N, V = h.shape[0], W.shape[0]
        lse, tl = torch.empty(N), torch.empty(N)
        for s in range(0, N, chunk):
            lg = (hb[s : s + chunk] @ Wb.t()).float()
            l = torch.logsumexp(lg, -1)
            if log_extra is not None:
                l = torch.logaddexp(l, torch.tensor(log_extra))
            lse[s : s + chunk] = l
            tl[s : s + chunk] = lg.gather(1, tgt[s : s + chunk].clamp(max=V - 1)[:, None])[:, 0]
        if log_extra is not None:
            tl = torch.where(tgt >= V, torch.tensor(log_extra), tl)
        ctx.save_for_backward(hb, Wb, tgt, lse)
        ctx.chunk = chunk
        return (lse - tl).mean()

    @staticmethod
    def backward(ctx, g):
        hb, Wb, tgt, lse = ctx.saved_tensors
        N, V = hb.shape[0], Wb.shape[0]
        dh = torch.empty(N, hb.shape[1])
        dW = torch.zeros(V, hb.shape[1])
        scale = g / N
        for s in range(0, N, ctx.chunk):
            e = min(N, s + ctx.chunk)
            p = torch.exp((hb[s:e] @ Wb.t()).float() - lse[s:e, None])
            t = tgt[s:e]
            r = torch.nonzero(t < V)[:, 0]
            p[r, t[r]] -= 1
            pb = (p * scale).to(COMPUTE_DTYPE)
            dh[s:e] = (pb @ Wb).float()
            dW += (pb.t() @ hb[s:e]).float()
        return dh, dW, None, None, None


class Config:
    def __init__(self, **kw):
        self.n_active = kw["n_active"]
        self.n_inactive = kw.get("n_inactive", 0)
        self.d_model = kw.get("d_model", 192)
        self.n_layer = kw.get("n_layer", 4)
        self.n_head = kw.get("n_head", 6)
        self.d_ff = kw.get("d_ff", 512)
        self.ctx = kw.get("ctx", 512)
        self.rope_base = kw.get("rope_base", 10000.0)
        self.eps = kw.get("eps", 1e-5)

    def to_dict(self):
        return dict(self.__dict__)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rope_tables(head_dim, positions, base):
    """cos/sin of shape [..., T, head_dim/2] for integer positions [..., T]."""
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    ang = positions.float().unsqueeze(-1) * inv
    return torch.cos(ang), torch.sin(ang)


def apply_rope(x, cos, sin):
    """x: [B, H, T, hd]; cos/sin: [B, 1, T, hd/2]. Adjacent pairs (llama.cpp rope NORM)."""
    xp = x.unflatten(-1, (-1, 2))
    x0, x1 = xp[..., 0], xp[..., 1]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c.d_model
        self.n_head = c.n_head
        self.hd = d // c.n_head
        self.attn_norm = RMSNorm(d, c.eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, c.eps)
        self.w_gate = nn.Linear(d, c.d_ff, bias=False)
        self.w_up = nn.Linear(d, c.d_ff, bias=False)
        self.w_down = nn.Linear(c.d_ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, self.n_head, self.hd).transpose(1, 2)
        k = self.wk(h).view(B, T, self.n_head, self.hd).transpose(1, 2)
        v = self.wv(h).view(B, T, self.n_head, self.hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
        att = att.float().masked_fill(~mask, float("-inf"))
        att = torch.softmax(att, dim=-1).type_as(v)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.n_active, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.norm = RMSNorm(c.d_model, c.eps)
        self.out = nn.Linear(c.d_model, c.n_active, bias=False)
        self.log_inactive = math.log(c.n_inactive) if c.n_inactive > 0 else None

    def init_weights(self, gen, std=0.02):
        for n, p in self.named_parameters():
            if n.endswith("norm.weight"):
                nn.init.ones_(p)
            else:
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * std)
        # GPT-2 style: scale the residual projections by 1/sqrt(2 * n_layer)
        for b in self.blocks:
            with torch.no_grad():
                b.wo.weight.mul_(1 / math.sqrt(2 * self.c.n_layer))
                b.w_down.weight.mul_(1 / math.sqrt(2 * self.c.n_layer))

    def hidden(self, idx, pos, seg, x=None):
        """idx, pos, seg: [B, T] (active ids, positions within sample, sample ids within row);
        x: input embeddings [B, T, d] instead of looking up idx."""
        if x is None:
            x = self.tok(idx)
        T = idx.shape[1]
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        mask = (seg.unsqueeze(2) == seg.unsqueeze(1)) & causal  # [B, T, T]
        mask = mask.unsqueeze(1)
        cos, sin = rope_tables(self.c.d_model // self.c.n_head, pos, self.c.rope_base)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.norm(x)

    def logits(self, h):
        """Active-vocabulary logits plus (if any inactive tokens) the inactive column last."""
        lg = self.out(h).float()
        if self.log_inactive is not None:
            extra = torch.full(lg.shape[:-1] + (1,), self.log_inactive, dtype=lg.dtype)
            lg = torch.cat([lg, extra], dim=-1)
        return lg

    def loss(self, idx, pos, seg, tgt, chunk=128):
        """Mean cross-entropy (nats) over targets != -1, and the token count (COMPUTE_DTYPE matmuls)."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=USE_BF16):
            h = self.hidden(idx, pos, seg)
        keep = tgt.reshape(-1) >= 0
        h = h.reshape(-1, h.shape[-1])[keep].float()
        t = tgt.reshape(-1)[keep]
        return ChunkedCrossEntropy.apply(h, self.out.weight, t, self.log_inactive, chunk), int(t.numel())
