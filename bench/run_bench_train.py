#!/usr/bin/python3
"""Training throughput (issue B): `dnassm pretrain` vs PyTorch training the same Mamba, HyenaDNA
or Caduceus model (autograd, AdamW) on the same windows, same threads, measured in the same run.
HyenaDNA models train through tests/reference/hyena_torch.py's forward (torch.fft long
convolution); Caduceus models through tests/reference/caduceus_torch.py's, as masked LMs (the
official masking recipe on both sides). Prints tokens/s
and the ratio. PyTorch's scan is tests/reference/mamba_torch.py's chunked_scan (chunks of 64 steps
advance together), checked against the step-by-step reference loop (selective_scan_ref), which
trains at only ~20 tokens/s here; `--scan loop` measures that one instead.

    /usr/bin/python3 bench/run_bench_train.py [--model DIR] [--window 1024] [--batch 4]
        [--steps 6] [--threads 1] [--device cpu|cuda] [--genome FA] [--bf16]

With --device cuda (issue C2) both train on the GPU: `dnassm pretrain --device cuda` and PyTorch
with the model and windows on the GPU. With --bf16 both use bfloat16 autocast: `dnassm pretrain
--bf16` and PyTorch's forwards under torch.autocast(dtype=torch.bfloat16).
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
from caduceus_torch import TorchCaduceus, mask_for_mlm  # noqa: E402
from hyena_torch import TorchHyena  # noqa: E402
from mamba_torch import TorchMamba, chunked_scan, read_fasta_region, tokenize  # noqa: E402

GENOME = "/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz"


def chunked_mixer(m, L, h, chunk=64):
    """mamba_torch.py's mixer (zero initial state) with its scan done by chunked_scan."""
    xz = h @ L["in_proj.weight"].T
    x, z = xz[:, :m.E], xz[:, m.E:]
    xc = F.silu(F.conv1d(F.pad(x.T.unsqueeze(0), (m.W - 1, 0)), L["conv1d.weight"], L["conv1d.bias"],
                         groups=m.E)[0].T)
    dt_low, Bm, Cm = (xc @ L["x_proj.weight"].T).split([m.R, m.N, m.N], dim=-1)
    delta = F.softplus(dt_low @ L["dt_proj.weight"].T + L["dt_proj.bias"])
    dA = torch.exp(delta.unsqueeze(-1) * -torch.exp(L["A_log"]))
    dBu = (delta * xc).unsqueeze(-1) * Bm.unsqueeze(1)
    y, _ = chunked_scan(dA, dBu, Cm, torch.zeros(m.E, m.N, device=h.device), T=chunk)
    y = (y + xc * L["D"]) * F.silu(z)
    return y @ L["out_proj.weight"].T


def timed(step, steps):
    """Seconds per call of step(k) for k = 1..steps, after step(0) as a warm-up."""
    step(0)
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    t = time.perf_counter()
    for k in range(1, steps + 1):
        step(k)
    sync()
    return (time.perf_counter() - t) / steps


def torch_tokens_per_s(model_dir, windows, batch, steps, scan, device, bf16=False):
    m = TorchMamba(model_dir).to(device)
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
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
                loss = loss_of(windows[(k * batch + b) % len(windows)])
            (loss / batch).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    with torch.no_grad():  # the chunked scan must compute the same loss as the reference loop
        ref = m.mixer(m.layers[0], m.norm(m.emb[windows[0]], m.layers[0]["norm.weight"], None), m.new_state()[0])[0]
        ours = chunked_mixer(m, m.layers[0], m.norm(m.emb[windows[0]], m.layers[0]["norm.weight"], None))
        rel = float((ours - ref).norm() / ref.norm())
        assert rel < 1e-4, f"chunked scan differs from the reference loop: {rel}"
    return batch * len(windows[0]) / timed(step, steps)


def torch_hyena_tokens_per_s(model_dir, windows, batch, steps, device, bf16=False):
    m = TorchHyena(model_dir).to(device)
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
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
                logits = forward(m, ids) @ m.lm_head.T
                loss = F.cross_entropy(logits[:-1].float(), ids[1:])
            (loss / batch).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return batch * len(windows[0]) / timed(step, steps)


def torch_caduceus_tokens_per_s(model_dir, windows, batch, steps, device, bf16=False, scan_chunk=64):
    m = TorchCaduceus(model_dir).to(device)
    m.mamba.scan_chunk = scan_chunk
    params = m.parameters()
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator(device=device).manual_seed(1)

    def step(k):
        opt.zero_grad()
        for b in range(batch):
            inp, tgt = mask_for_mlm(windows[(k * batch + b) % len(windows)], generator=g)
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
                logits = m.logits(m.hidden(inp))
                loss = F.cross_entropy(logits.float(), tgt, ignore_index=-100)
            (loss / batch).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return batch * len(windows[0]) / timed(step, steps)


def dnassm_tokens_per_s(dnassm, model_dir, window, batch, steps, threads, device, genome, bf16=False):
    with tempfile.TemporaryDirectory() as tmp:
        def run(n):
            t = time.perf_counter()
            subprocess.run([dnassm, "pretrain", "-m", model_dir, "-o", os.path.join(tmp, f"o{n}"), "--fasta",
                            genome, "--steps", str(n), "--window", str(window), "--batch", str(batch),
                            "--eval-every", "100000", "--val-bases", "1000", "-@", str(threads),
                            "--device", device, "--progress", "none", *(["--bf16"] if bf16 else [])],
                           check=True, capture_output=True)
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
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--genome", default=GENOME)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast on both sides")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seq = read_fasta_region(a.genome, 1_000_000, 1_000_000 + a.window * a.batch * 4)
    ids = tokenize(seq).to(a.device)
    windows = [ids[i:i + a.window] for i in range(0, len(ids) - a.window + 1, a.window)]
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    ours = dnassm_tokens_per_s(a.dnassm, a.model, a.window, a.batch, a.steps, a.threads, a.device, a.genome,
                               a.bf16)
    prec = ", bf16 autocast" if a.bf16 else ""
    hyena = cfg.get("family") == "hyena" or cfg.get("model_type") == "hyenadna"
    if cfg.get("model_type") == "caduceus":
        # PyTorch's best chunk of its scan (steps that advance together) for this window.
        theirs = max(torch_caduceus_tokens_per_s(a.model, windows, a.batch, a.steps, a.device, a.bf16, T)
                     for T in (16, 32, 64, 128))
        print(f"| masked-LM training on {a.device}{prec}, Caduceus-{'PS' if cfg.get('rcps') else 'Ph'} d_model "
              f"{cfg['d_model']} x {cfg['n_layer']} layers, window {a.window}, batch {a.batch}, {a.threads} thread(s) "
              f"| dnassm {ours:,.0f} tokens/s | PyTorch {theirs:,.0f} tokens/s | {ours / theirs:.1f}x |")
        return
    if hyena:
        theirs = torch_hyena_tokens_per_s(a.model, windows, a.batch, a.steps, a.device, a.bf16)
        print(f"| training on {a.device}{prec}, HyenaDNA d_model {cfg['d_model']} x {cfg['n_layer']} layers, window "
              f"{a.window}, batch {a.batch}, {a.threads} thread(s) | dnassm {ours:,.0f} tokens/s | PyTorch {theirs:,.0f} "
              f"tokens/s | {ours / theirs:.1f}x |")
        return
    theirs = torch_tokens_per_s(a.model, windows, a.batch, a.steps, a.scan, a.device, a.bf16)
    print(f"| training on {a.device}{prec}, Mamba d_model {cfg['d_model']} x {cfg['n_layer']} layers, window {a.window}, "
          f"batch {a.batch}, {a.threads} thread(s), PyTorch scan {a.scan} | dnassm {ours:,.0f} tokens/s | PyTorch {theirs:,.0f} tokens/s "
          f"| {ours / theirs:.1f}x |")


if __name__ == "__main__":
    main()
