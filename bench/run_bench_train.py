#!/usr/bin/python3
"""Training throughput (issue B): `dnassm pretrain` vs PyTorch training the same Mamba or HyenaDNA
model (autograd, AdamW) on the same windows, same threads, measured in the same run. HyenaDNA
models train through tests/reference/hyena_torch.py's forward (torch.fft long convolution). Prints tokens/s
and the ratio. PyTorch's scan is vectorised in chunks of 32 steps (closed form inside a chunk,
a loop over chunks), checked against the step-by-step reference loop of
tests/reference/mamba_torch.py (selective_scan_ref), which trains at only ~20 tokens/s here;
`--scan loop` measures that one instead.

    /usr/bin/python3 bench/run_bench_train.py [--model DIR] [--window 1024] [--batch 4]
        [--steps 6] [--threads 1]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from hyena_torch import TorchHyena  # noqa: E402
from mamba_torch import TorchMamba, read_fasta_region, tokenize  # noqa: E402

GENOME = "/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz"


def chunked_mixer(m, L, h, chunk=32):
    """mamba_torch.py's mixer (zero initial state), the scan vectorised within chunks:
    s_t = P_t (s_0 + sum_{j<=t} b_j / P_j) with P_t the running product of decays in the chunk."""
    xz = h @ L["in_proj.weight"].T
    x, z = xz[:, :m.E], xz[:, m.E:]
    T = x.shape[0]
    xc = F.silu(F.conv1d(F.pad(x.T.unsqueeze(0), (m.W - 1, 0)), L["conv1d.weight"], L["conv1d.bias"],
                         groups=m.E)[0].T)
    dt_low, Bm, Cm = (xc @ L["x_proj.weight"].T).split([m.R, m.N, m.N], dim=-1)
    delta = F.softplus(dt_low @ L["dt_proj.weight"].T + L["dt_proj.bias"])
    A = -torch.exp(L["A_log"])
    s = torch.zeros(m.E, m.N)
    ys = []
    for c0 in range(0, T, chunk):
        d = delta[c0:c0 + chunk]                                   # [c, E]
        logp = torch.cumsum(d.unsqueeze(-1) * A, 0)                # [c, E, N]
        b = (d * xc[c0:c0 + chunk]).unsqueeze(-1) * Bm[c0:c0 + chunk].unsqueeze(1)
        st = torch.exp(logp) * (s + torch.cumsum(b * torch.exp(-logp), 0))
        ys.append(torch.einsum("cen,cn->ce", st, Cm[c0:c0 + chunk]))
        s = st[-1]
    y = (torch.cat(ys) + xc * L["D"]) * F.silu(z)
    return y @ L["out_proj.weight"].T


def torch_tokens_per_s(model_dir, windows, batch, steps, scan):
    m = TorchMamba(model_dir)
    params = [m.emb] + [m.norm_f[0]]
    for L in m.layers:
        params += [v for v in L.values() if v is not None]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)

    def loss_of(ids):
        state = m.new_state()
        x = m.emb[ids]
        for i, L in enumerate(m.layers):
            h = m.norm(x, L["norm.weight"], L["norm.bias"])
            x = x + (m.mixer(L, h, state[i])[0] if scan == "loop" else chunked_mixer(m, L, h))
        h = m.norm(x, *m.norm_f)
        logits = h @ m.emb.T
        return F.cross_entropy(logits[:-1], ids[1:])

    def step(k):
        opt.zero_grad()
        for b in range(batch):
            (loss_of(windows[(k * batch + b) % len(windows)]) / batch).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    with torch.no_grad():  # the chunked scan must compute the same loss as the reference loop
        ref = m.mixer(m.layers[0], m.norm(m.emb[windows[0]], m.layers[0]["norm.weight"], None), m.new_state()[0])[0]
        ours = chunked_mixer(m, m.layers[0], m.norm(m.emb[windows[0]], m.layers[0]["norm.weight"], None))
        rel = float((ours - ref).norm() / ref.norm())
        assert rel < 1e-4, f"chunked scan differs from the reference loop: {rel}"
    step(0)  # warm-up
    t = time.perf_counter()
    for k in range(1, steps + 1):
        step(k)
    return steps * batch * len(windows[0]) / (time.perf_counter() - t)


def torch_hyena_tokens_per_s(model_dir, windows, batch, steps):
    m = TorchHyena(model_dir)
    buffers = {"z", "t", "deltas"}
    params = [m.emb, *m.ln_f] + [v for L in m.layers for k, v in L.items() if k not in buffers]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    forward = TorchHyena.forward.__wrapped__  # the same forward, without its no_grad

    def step(k):
        opt.zero_grad()
        for b in range(batch):
            ids = windows[(k * batch + b) % len(windows)]
            logits = forward(m, ids) @ m.lm_head.T
            (F.cross_entropy(logits[:-1], ids[1:]) / batch).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step(0)  # warm-up
    t = time.perf_counter()
    for k in range(1, steps + 1):
        step(k)
    return steps * batch * len(windows[0]) / (time.perf_counter() - t)


def dnassm_tokens_per_s(dnassm, model_dir, window, batch, steps, threads):
    with tempfile.TemporaryDirectory() as tmp:
        def run(n):
            t = time.perf_counter()
            subprocess.run([dnassm, "pretrain", "-m", model_dir, "-o", os.path.join(tmp, f"o{n}"), "--fasta",
                            GENOME, "--steps", str(n), "--window", str(window), "--batch", str(batch),
                            "--eval-every", "100000", "--val-bases", "1000", "-@", str(threads),
                            "--progress", "none"], check=True, capture_output=True)
            return time.perf_counter() - t
        # Difference of two runs removes start-up, data loading and the final validation.
        t1, t2 = run(1), run(1 + steps)
        return steps * batch * window / (t2 - t1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "data", "models", "dnassm-mamba-small"))
    ap.add_argument("--dnassm", default=os.path.join(ROOT, "build", "release", "app", "dnassm"))
    ap.add_argument("--window", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--scan", choices=["chunked", "loop"], default="chunked")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seq = read_fasta_region(GENOME, 1_000_000, 1_000_000 + a.window * a.batch * 4)
    ids = tokenize(seq)
    windows = [ids[i:i + a.window] for i in range(0, len(ids) - a.window + 1, a.window)]
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    ours = dnassm_tokens_per_s(a.dnassm, a.model, a.window, a.batch, a.steps, a.threads)
    hyena = cfg.get("family") == "hyena" or cfg.get("model_type") == "hyenadna"
    if hyena:
        theirs = torch_hyena_tokens_per_s(a.model, windows, a.batch, a.steps)
        print(f"| training, HyenaDNA d_model {cfg['d_model']} x {cfg['n_layer']} layers, window {a.window}, "
              f"batch {a.batch}, {a.threads} thread(s) | dnassm {ours:,.0f} tokens/s | PyTorch {theirs:,.0f} "
              f"tokens/s | {ours / theirs:.1f}x |")
        return
    theirs = torch_tokens_per_s(a.model, windows, a.batch, a.steps, a.scan)
    print(f"| training, Mamba d_model {cfg['d_model']} x {cfg['n_layer']} layers, window {a.window}, "
          f"batch {a.batch}, {a.threads} thread(s), PyTorch scan {a.scan} | dnassm {ours:,.0f} tokens/s | PyTorch {theirs:,.0f} tokens/s "
          f"| {ours / theirs:.1f}x |")


if __name__ == "__main__":
    main()
