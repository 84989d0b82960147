#!/usr/bin/python3
"""HyenaDNA on CPU: FFT long convolution vs a direct convolution and vs torch.fft; whole-model
throughput vs the PyTorch reference (tests/reference/hyena_torch.py) on the same weights and
threads; achieved GEMM FLOP rate as a fraction of the BLAS sgemm rate on the same shapes;
time and peak memory vs length. Prints Markdown for bench/RESULTS.md.

    /usr/bin/python3 bench/run_bench_hyena.py [--build build/release] [--lengths 1024,32768,131072]
        [--dnassm-only 1000000] [--threads 2]
    /usr/bin/python3 bench/run_bench_hyena.py --scaling 1024,...,4194304   (time vs length only; --pool mean)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from hyena_torch import TorchHyena  # noqa: E402
from mamba_torch import read_fasta_region, tokenize  # noqa: E402

GENOME = os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz")
CONTIG = "NC_000913.3"
D, N_LAYER = 256, 8
GEMM_FLOP_PER_BASE = N_LAYER * 2 * (D * 3 * D + D * D + 2 * D * 4 * D)  # in_proj, out_proj, fc1, fc2


def gbench(build, flt):
    out = subprocess.run([os.path.join(build, "bench", "bench_kernels"), f"--benchmark_filter={flt}",
                          "--benchmark_format=json", "--benchmark_min_time=0.5"], capture_output=True, check=True)
    return json.loads(out.stdout)["benchmarks"]


def torch_fft_conv_rate(L, threads):
    torch.set_num_threads(threads)
    w, k = torch.rand(D, L) - 0.5, torch.rand(D, L) * 0.001
    t0, reps = time.perf_counter(), 0
    while time.perf_counter() - t0 < 1.0 or reps < 2:
        n = 2 * L
        y = torch.fft.irfft(torch.fft.rfft(w, n=n) * torch.fft.rfft(k, n=n) / n, n=n, norm="forward")[..., :L]
        reps += 1
    return L * D * reps / (time.perf_counter() - t0)


def run_dnassm(build, model, L, threads, pool=False):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "e.npy")
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", os.path.join(build, "app", "dnassm"), "embed", "-m",
                            model, "-@", str(threads), "-r", f"{CONTIG}:1-{L}", "-o", out, GENOME] +
                           (["--pool", "mean"] if pool else []), capture_output=True, check=True)
        secs = time.perf_counter() - t0
        rss_kb = int(re.search(r"MAXRSS (\d+)", p.stderr.decode()).group(1))
        return secs, rss_kb, np.load(out, mmap_mode="r")[:2048].copy() if L <= 200000 else None, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--lengths", default="1024,32768,131072")
    ap.add_argument("--dnassm-only", default="1000000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scaling", default="", help="only measure dnassm time vs these lengths, e.g. 1024,...,4000000")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hyena_bench_") as model:
        bench(a, model)


def bench(a, model):
    T = a.threads
    # One window for every length: l_max covers the longest (the scaling run goes past 1 Mb).
    l_max = max([1000000] + [int(x) for x in a.scaling.split(",") if x]) + 2
    subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_hyena.py"), model,
                    "--d-model", str(D), "--n-layer", str(N_LAYER), "--l-max", str(l_max), "--wide"], check=True)
    print(f"# host: {os.cpu_count()} CPUs; torch {torch.__version__}; HyenaDNA d_model {D}, {N_LAYER} layers, "
          f"l_max {l_max} (random weights); threads {T}\n")
    if a.scaling:
        print("| L | seconds | bases/s | seconds / (L log2 L) x 1e6 | peak RSS |")
        print("|---|---|---|---|---|")
        for L in [int(x) for x in a.scaling.split(",")]:
            secs, rss, _, _ = run_dnassm(a.build, model, L, T, pool=True)
            print(f"| {L:,} | {secs:.1f} | {L / secs:,.0f} | {secs / (L * np.log2(L)) * 1e6:.3f} | {rss / 1e6:.2f} GB |",
                  flush=True)
        return

    print("## Long convolution, D = 256 channels (channel-samples/s)\n")
    print("| L | threads | dnassm FFT (filter fused) | direct O(L^2) | torch.fft (same run) | FFT / direct | FFT / torch |")
    print("|---|---|---|---|---|---|---|")
    fft = {(b["run_name"].split("/")[1], b["run_name"].split("/")[3]): b["channel_samples_per_s"]
           for b in gbench(a.build, "HyenaFftConv")}
    direct = {b["run_name"].split("/")[1]: b["channel_samples_per_s"] for b in gbench(a.build, "DirectConv")}
    for (L, th), r in sorted(fft.items(), key=lambda x: (int(x[0][0]), x[0][1])):
        tr = torch_fft_conv_rate(int(L), int(th))
        dr = direct.get(L)
        print(f"| {L} | {th} | {r / 1e6:.1f} M | {dr / 1e6:.2f} M | {tr / 1e6:.1f} M | "
              f"{(r / dr) if dr else float('nan'):.1f}x | {r / tr:.2f}x |" if dr else
              f"| {L} | {th} | {r / 1e6:.1f} M | — | {tr / 1e6:.1f} M | — | {r / tr:.2f}x |", flush=True)

    gemm = gbench(a.build, f"BM_Linear/8192/.*/{T}/")
    flops = {}
    for b in gemm:
        _, M, K, N, _ = b["run_name"].split("/")[:5]
        flops[(int(K), int(N))] = b["flop_per_s"]
    # Time-weighted BLAS rate over the four block GEMMs (FLOP-weighted harmonic mean).
    shapes = [(D, 3 * D), (D, D), (D, 4 * D), (4 * D, D)]
    w = [k * n for k, n in shapes]
    blas_rate = sum(w) / sum(wi / flops[s] for wi, s in zip(w, shapes))
    print(f"\nBLAS sgemm on the model's block shapes (8192 rows, {T} threads): {blas_rate / 1e9:.1f} GFLOP/s\n")

    print("## Whole model (bases/s), GEMM FLOPs = %.1f MFLOP/base\n" % (GEMM_FLOP_PER_BASE / 1e6))
    print("| L | dnassm bases/s | dnassm peak RSS | achieved GEMM GFLOP/s (% of BLAS) | PyTorch bases/s | ratio | rel. diff |")
    print("|---|---|---|---|---|---|---|")
    ref = TorchHyena(model)
    for L in [int(x) for x in a.lengths.split(",") if x]:
        secs, rss, ours, _ = run_dnassm(a.build, model, L, T)
        rate = L / secs
        gf = GEMM_FLOP_PER_BASE * rate
        torch.set_num_threads(T)
        t0 = time.perf_counter()
        h = ref.forward(tokenize(read_fasta_region(GENOME, 0, L)))
        t_rate = L / (time.perf_counter() - t0)
        err = float(np.linalg.norm(ours - h[:2048].numpy()) / np.linalg.norm(h[:2048].numpy()))
        print(f"| {L:,} | {rate:,.0f} | {rss / 1e6:.2f} GB | {gf / 1e9:.1f} ({100 * gf / blas_rate:.0f} %) | "
              f"{t_rate:,.0f} | {rate / t_rate:.1f}x | {err:.1e} |", flush=True)
        del h
    for L in [int(x) for x in a.dnassm_only.split(",") if x]:
        secs, rss, _, _ = run_dnassm(a.build, model, L, T)
        rate = L / secs
        gf = GEMM_FLOP_PER_BASE * rate
        print(f"| {L:,} | {rate:,.0f} | {rss / 1e6:.2f} GB | {gf / 1e9:.1f} ({100 * gf / blas_rate:.0f} %) | "
              f"(does not fit in 24 GB) | — | — |", flush=True)


if __name__ == "__main__":
    main()
