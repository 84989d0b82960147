#!/usr/bin/python3
"""CPU benchmarks with the PyTorch baseline measured in the same run (same weights, same
threads). Prints a Markdown table for bench/RESULTS.md.

    /usr/bin/python3 bench/run_bench.py [--build build/release] [--bases 1000000] [--threads 1,2]

1. selective scan, L=16384 E=256 N=16: dnassm's CPU kernel (Google Benchmark, bench_kernels)
   vs the same scan in PyTorch (mamba_ssm selective_scan_ref's loop over time, vectorised over
   E and N).
2. `dnassm embed` on a real 1 Mb region vs tests/reference/mamba_torch.py streaming the same
   region through the same model (bundled data/models/dnassm-mamba-small by default).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from mamba_torch import TorchMamba, read_fasta_region, tokenize  # noqa: E402

GENOMES = [  # (path, contig) — first one present is used
    (os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz"), "NC_000913.3"),
    ("/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz", None),
]


def torch_scan_rate(L, E, N, threads):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    u, dt, z = (torch.rand(L, E, generator=g) - 0.5 for _ in range(3))
    A = -(1 + torch.arange(N, dtype=torch.float32)).repeat(E, 1)
    B, C = torch.rand(L, N, generator=g) - 0.5, torch.rand(L, N, generator=g) - 0.5
    D, bias = torch.ones(E), torch.full((E,), -2.0)
    t0 = time.perf_counter()
    with torch.no_grad():
        delta = torch.nn.functional.softplus(dt + bias)
        dA = torch.exp(delta.unsqueeze(-1) * A)
        dBu = (delta * u).unsqueeze(-1) * B.unsqueeze(1)
        s, ys = torch.zeros(E, N), []
        for t in range(L):
            s = dA[t] * s + dBu[t]
            ys.append(s @ C[t])
        y = (torch.stack(ys) + u * D) * torch.nn.functional.silu(z)
    return L * E * N / (time.perf_counter() - t0), y


def dnassm_scan_rates(build):
    out = subprocess.run([os.path.join(build, "bench", "bench_kernels"), "--benchmark_filter=SelectiveScan",
                          "--benchmark_format=json", "--benchmark_min_time=1"], capture_output=True, check=True)
    res = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        res[(b["label"], int(b["threads"]))] = b["updates_per_s"]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--model", default=os.path.join(ROOT, "data", "models", "dnassm-mamba-small"))
    ap.add_argument("--bases", type=int, default=1_000_000)
    ap.add_argument("--start", type=int, default=1_000_000, help="0-based region start")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    dnassm = os.path.join(args.build, "app", "dnassm")

    print(f"# host: {os.cpu_count()} CPUs; torch {torch.__version__}; model {os.path.relpath(args.model, ROOT)}\n")
    print("| benchmark | threads | dnassm | PyTorch (same run) | ratio |")
    print("|---|---|---|---|---|")
    rates = dnassm_scan_rates(args.build)
    for t in threads:
        tr, _ = torch_scan_rate(16384, 256, 16, t)
        d = rates[("cpu", t)]
        print(f"| selective scan L=16384 E=256 N=16 (updates/s) | {t} | {d / 1e9:.2f} G | {tr / 1e9:.3f} G | {d / tr:.1f}x |",
              flush=True)

    fasta, contig = next((p, c) for p, c in GENOMES if os.path.exists(p))
    seq = read_fasta_region(fasta, args.start, args.start + args.bases)
    if contig is None:
        import gzip
        with gzip.open(fasta, "rt") as f:
            contig = f.readline()[1:].split()[0]
    region = f"{contig}:{args.start + 1}-{args.start + args.bases}"
    ids = tokenize(seq)
    model = TorchMamba(args.model)
    for t in threads:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "e.npy")
            t0 = time.perf_counter()
            subprocess.run([dnassm, "embed", "-m", args.model, "-@", str(t), "-r", region, "-o", out, fasta], check=True)
            d_rate = args.bases / (time.perf_counter() - t0)
            ours = np.load(out)
        torch.set_num_threads(t)
        t0 = time.perf_counter()
        ref = model.embed(ids, chunk=16384).numpy()
        t_rate = args.bases / (time.perf_counter() - t0)
        err = float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))
        print(f"| `dnassm embed` {region} ({os.path.basename(fasta)}; bases/s; rel. diff {err:.1e}) | {t} | "
              f"{d_rate:,.0f} | {t_rate:,.0f} | {d_rate / t_rate:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
