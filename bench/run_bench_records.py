#!/usr/bin/python3
"""Many short sequences (the GUE promoter set: 70 bp each): mean-pooled embeddings from
`dnassm embed --pool mean` at each thread count, against PyTorch running the same model on the same
sequences in batches (tests/reference/mamba_torch.py's weights and math, vectorised over a batch of
equal-length sequences, as a PyTorch user would run them), same threads, same run. Prints Markdown
for bench/RESULTS.md. With Debian's PyTorch 1.13 (generic BLAS) batches of 1 to 8 were the fastest
of 1 to 128 tried (larger ones spend their time allocating the [T, B, E, N] decay tensor).

    /usr/bin/python3 bench/run_bench_records.py [--build build/release] [--threads 1,2]
                                                [--csv GUE.csv] [--count N] [--batch 8]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from mamba_torch import TorchMamba, tokenize  # noqa: E402

GUE = os.path.join(ROOT, "..", "shared", "data", "labels", "gue", "prom_core_all", "dev.csv")


@torch.no_grad()
def batched_mean_embeddings(m, ids):
    """[B, D] mean final hidden states of B equal-length sequences ids [B, T]."""
    x = m.emb[ids]                                              # [B, T, D]
    B, T = ids.shape
    for L in m.layers:
        h = m.norm(x, L["norm.weight"], L["norm.bias"])
        xz = h @ L["in_proj.weight"].T
        xi, z = xz[..., :m.E], xz[..., m.E:]
        xc = F.silu(F.conv1d(F.pad(xi.transpose(1, 2), (m.W - 1, 0)), L["conv1d.weight"], L["conv1d.bias"],
                             groups=m.E).transpose(1, 2))       # [B, T, E]
        dt_low, Bm, Cm = (xc @ L["x_proj.weight"].T).split([m.R, m.N, m.N], dim=-1)
        delta = F.softplus(dt_low @ L["dt_proj.weight"].T + L["dt_proj.bias"])
        A = -torch.exp(L["A_log"])
        # Time-major and contiguous, so each step reads one block (15x faster than strided).
        delta_t, u_t, B_t, C_t = (v.transpose(0, 1).contiguous() for v in (delta, xc, Bm, Cm))
        dA = torch.exp(delta_t.unsqueeze(-1) * A)               # [T, B, E, N]
        dBu = (delta_t * u_t).unsqueeze(-1) * B_t.unsqueeze(2)
        s, ys = torch.zeros(B, m.E, m.N), []
        for t in range(T):
            s = dA[t] * s + dBu[t]
            ys.append(torch.einsum("ben,bn->be", s, C_t[t]))
        y = (torch.stack(ys, 1) + xc * L["D"]) * F.silu(z)
        x = x + y @ L["out_proj.weight"].T
    return m.norm(x, *m.norm_f).mean(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--model", default=os.path.join(ROOT, "data", "models", "dnassm-mamba-small"))
    ap.add_argument("--csv", default=GUE)
    ap.add_argument("--count", type=int, default=0, help="first N sequences (0: all)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    with open(a.csv) as f:
        seqs = [r["sequence"] for r in csv.DictReader(f)]
    seqs = seqs[:a.count] if a.count else seqs
    lengths = {len(s) for s in seqs}
    assert len(lengths) == 1, "the PyTorch batches need equal lengths"
    dnassm = os.path.join(a.build, "app", "dnassm")
    model = TorchMamba(a.model)
    ids = torch.stack([tokenize(s) for s in seqs])
    print(f"# {len(seqs):,} sequences of {lengths.pop()} bp from {os.path.relpath(a.csv, ROOT)}; "
          f"{os.cpu_count()} CPUs; torch {torch.__version__}; PyTorch batch {a.batch}\n")
    print("| threads | dnassm embed --pool mean | PyTorch, batched (same run) | ratio | max rel. diff |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        fasta = os.path.join(tmp, "seqs.fa")
        with open(fasta, "w") as f:
            f.writelines(f">s{i}\n{s}\n" for i, s in enumerate(seqs))
        for t in [int(x) for x in a.threads.split(",")]:
            out = os.path.join(tmp, f"e{t}.npy")
            t0 = time.perf_counter()
            subprocess.run([dnassm, "embed", "-m", a.model, "--pool", "mean", "-@", str(t), "--progress",
                            "none", "-o", out, fasta], check=True)
            ours_s = time.perf_counter() - t0
            torch.set_num_threads(t)
            t0 = time.perf_counter()
            ref = torch.cat([batched_mean_embeddings(model, ids[b:b + a.batch])
                             for b in range(0, len(seqs), a.batch)]).numpy()
            torch_s = time.perf_counter() - t0
            ours = np.load(out)
            err = float((np.linalg.norm(ours - ref, axis=1) / np.linalg.norm(ref, axis=1)).max())
            n = len(seqs)
            print(f"| {t} | {ours_s:.2f} s ({n / ours_s:,.0f} seq/s) | {torch_s:.2f} s ({n / torch_s:,.0f} seq/s) | "
                  f"{torch_s / ours_s:.1f}x | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
