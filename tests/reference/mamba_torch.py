#!/usr/bin/python3
"""Independent PyTorch implementation of a Mamba-1 LM (mamba_ssm's MambaLMHeadModel with the
non-fused, non-CUDA path: nn.Conv1d + selective_scan_ref + step semantics), written from
MODELS.md §2. It reads the same model directories as dnassm (mamba_ssm's published layout or
dnassm's own) and streams long sequences in chunks, carrying conv and SSM state.

Used as the parity reference for dnassm-format models and as the PyTorch baseline in bench/.
"""
import gzip
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from safetensors_numpy import read_safetensors_numpy

CHAR_IDS = {"A": 7, "C": 8, "G": 9, "T": 10, "N": 11}


def read_safetensors(path):
    return {k: torch.from_numpy(v) for k, v in read_safetensors_numpy(path).items()}


def move_tensors(model, device):
    """Moves every tensor a reference model holds (attributes, and inside lists, tuples and dicts)
    to `device` (e.g. "cuda" for the GPU baselines in bench/); returns the model."""
    def moved(v):
        if isinstance(v, torch.Tensor):
            return v.to(device)
        if isinstance(v, dict):
            return {k: moved(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(moved(x) for x in v)
        return v
    for k, v in list(vars(model).items()):
        setattr(model, k, moved(v))
    model.device = torch.device(device)
    return model


def tokenize(seq):
    return torch.tensor([CHAR_IDS.get(c, 11) for c in seq.upper()], dtype=torch.long)


def read_fasta_region(path, beg, end):
    """0-based half-open slice of the first record of a (b)gzipped or plain FASTA."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        seq, started = [], False
        for line in f:
            if line.startswith(">"):
                if started:
                    break
                started = True
                continue
            seq.append(line.strip())
    return "".join(seq)[beg:end]


def chunked_scan(dA, dBu, Cm, s0, T=128):
    """The selective scan's recurrence s_t = dA_t * s_{t-1} + dBu_t, y_t = s_t . C_t in PyTorch
    without a step-by-step loop over the whole sequence: chunks of T steps advance together (T
    steps over [chunks, E, N] from zero, keeping each chunk's decay product), a carry over chunks
    gives their entry states, and a second T-step pass from those yields y. dA, dBu {L, E, N},
    Cm {L, N}, s0 {E, N}; returns y {L, E} and the final state. The same function as
    selective_scan_ref's loop (up to rounding), for a GPU baseline that is not launch-bound. Only
    products of decays (all <= 1), so no exponent can overflow."""
    L, E, N = dA.shape
    pad = (-L) % T
    if pad:
        dA = torch.cat([dA, dA.new_ones(pad, E, N)])
        dBu = torch.cat([dBu, dBu.new_zeros(pad, E, N)])
        Cm = torch.cat([Cm, Cm.new_zeros(pad, N)])
    C = (L + pad) // T
    # unbind, not dA[:, t]: one backward node for all steps instead of a full-size one per slice
    dAs, dBus = dA.view(C, T, E, N).unbind(1), dBu.view(C, T, E, N).unbind(1)
    Cm = Cm.view(C, T, N)
    reach, decay = dA.new_zeros(C, E, N), dA.new_ones(C, E, N)
    for t in range(T):
        reach = dAs[t] * reach + dBus[t]
        decay = decay * dAs[t]
    entries, s = [], s0  # a list, not in-place writes, so autograd can train through it
    for c in range(C):
        entries.append(s)
        s = decay[c] * s + reach[c]
    states, state = [], torch.stack(entries)
    for t in range(T):
        state = dAs[t] * state + dBus[t]
        states.append(state)
    y = torch.einsum("cten,ctn->cte", torch.stack(states, 1), Cm)
    return y.reshape(C * T, E)[:L], s


class TorchMamba:
    device = torch.device("cpu")
    scan = "loop"  # or "chunked" (chunked_scan: the same function, far fewer GPU launches)
    scan_chunk = 128  # chunked_scan's T

    def __init__(self, model_dir):
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        t = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        if cfg.get("format") == "dnassm":
            self.D, self.n_layer = cfg["d_model"], cfg["n_layer"]
            self.N, self.W, expand = cfg["d_state"], cfg["d_conv"], cfg["expand"]
            self.rms = cfg.get("norm", "rms") == "rms"
            self.eps = cfg.get("norm_eps", 1e-5)
            get = lambda k: t[k] if k in t else t["backbone." + k]
        else:
            ssm = cfg.get("ssm_cfg", {})
            self.D, self.n_layer = cfg["d_model"], cfg["n_layer"]
            self.N, self.W, expand = ssm.get("d_state", 16), ssm.get("d_conv", 4), ssm.get("expand", 2)
            self.rms = cfg.get("rms_norm", True)
            self.eps = cfg.get("norm_epsilon", 1e-5)
            get = lambda k: t["backbone." + k] if "backbone." + k in t else t[k]
        self.E = expand * self.D
        self.emb = get("embedding.weight")
        self.lm_head = t.get("lm_head.weight", self.emb)
        self.layers = []
        for i in range(self.n_layer):
            p = f"layers.{i}."
            L = {k: get(p + "mixer." + k) for k in
                 ("in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight",
                  "dt_proj.bias", "A_log", "D", "out_proj.weight")}
            L["norm.weight"] = get(p + "norm.weight")
            L["norm.bias"] = None if self.rms else get(p + "norm.bias")
            self.layers.append(L)
        self.norm_f = (get("norm_f.weight"), None if self.rms else get("norm_f.bias"))
        self.R = self.layers[0]["dt_proj.weight"].shape[1]

    def norm(self, x, w, b):
        if self.rms:
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w
        return F.layer_norm(x, (self.D,), w, b, self.eps)

    def new_state(self):
        return [(torch.zeros(self.E, self.W, device=self.device), torch.zeros(self.E, self.N, device=self.device))
                for _ in range(self.n_layer)]

    def mixer(self, L, h, state):
        conv_state, ssm_state = state
        xz = h @ L["in_proj.weight"].T                      # [T, 2E]
        x, z = xz[:, :self.E], xz[:, self.E:]
        T = x.shape[0]
        hist = torch.cat([conv_state[:, 1:].T, x], 0)      # last W-1 inputs, then the chunk
        xc = F.conv1d(hist.T.unsqueeze(0), L["conv1d.weight"], L["conv1d.bias"], groups=self.E)[0].T
        xc = F.silu(xc)                                      # [T, E]
        new_conv = torch.cat([conv_state.T, x], 0)[-self.W:].T.contiguous()
        x_dbl = xc @ L["x_proj.weight"].T
        dt_low, Bm, Cm = x_dbl.split([self.R, self.N, self.N], dim=-1)
        delta = F.softplus(dt_low @ L["dt_proj.weight"].T + L["dt_proj.bias"])   # threshold 20
        A = -torch.exp(L["A_log"])                          # [E, N]
        dA = torch.exp(delta.unsqueeze(-1) * A)             # [T, E, N]
        dBu = (delta * xc).unsqueeze(-1) * Bm.unsqueeze(1)  # [T, E, N]
        if self.scan == "chunked":
            y, s = chunked_scan(dA, dBu, Cm, ssm_state, T=self.scan_chunk)
        else:
            s = ssm_state
            ys = []
            for i in range(T):                              # selective_scan_ref's loop
                s = dA[i] * s + dBu[i]
                ys.append(s @ Cm[i])
            y = torch.stack(ys)
        y = y + xc * L["D"]
        y = y * F.silu(z)
        return y @ L["out_proj.weight"].T, (new_conv, s)

    def to(self, device):
        return move_tensors(self, device)

    @torch.no_grad()
    def forward(self, ids, state=None, layers_out=None):
        state = state if state is not None else self.new_state()
        x = self.emb[ids.to(self.emb.device)]
        for i, L in enumerate(self.layers):
            out, state[i] = self.mixer(L, self.norm(x, L["norm.weight"], L["norm.bias"]), state[i])
            x = x + out
            if layers_out is not None:
                layers_out.append(x.clone())
        return self.norm(x, *self.norm_f), state

    @torch.no_grad()
    def embed(self, ids, chunk=16384):
        state, outs = self.new_state(), []
        for t in range(0, len(ids), chunk):
            h, state = self.forward(ids[t:t + chunk], state)
            outs.append(h)
        return torch.cat(outs)
