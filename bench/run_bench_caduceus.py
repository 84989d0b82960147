#!/usr/bin/python3
"""Caduceus inference on the CPU against PyTorch in the same run (same weights, same threads).
Prints a Markdown table for bench/RESULTS.md.

    /usr/bin/python3 bench/run_bench_caduceus.py [--build build/release] [--lengths 4096,32768,131072]
        [--threads 1,2] [--model data/models/dnassm-caduceus-small]

A bidirectional model sees a window whole (nothing streams), so each row is one window of real
DNA: `dnassm embed` of the region (model load and I/O included) against
tests/reference/caduceus_torch.py's `hidden` on the same bases under torch.no_grad() (the
official computation, fused-add-norm order and RC parameter sharing included). The outputs are
compared, so a fast wrong answer cannot pass for a fast one.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from caduceus_torch import TorchCaduceus  # noqa: E402
from mamba_torch import read_fasta_region, tokenize  # noqa: E402
from run_bench import GENOMES  # noqa: E402  (bench/ is on sys.path as the script's folder)


def best_of(n, fn):
    """The fastest of n runs (seconds) and the last result: these VMs are noisy."""
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--model", default=os.path.join(ROOT, "data", "models", "dnassm-caduceus-small"))
    ap.add_argument("--lengths", default="4096,32768,131072")
    ap.add_argument("--start", type=int, default=1_000_000, help="0-based region start")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    dnassm = os.path.join(args.build, "app", "dnassm")
    fasta, contig = next((p, c) for p, c in GENOMES if os.path.exists(p))
    if contig is None:
        import gzip
        with gzip.open(fasta, "rt") as f:
            contig = f.readline()[1:].split()[0]
    model = TorchCaduceus(args.model)
    print(f"# host: {os.cpu_count()} CPUs; torch {torch.__version__}; model {os.path.relpath(args.model, ROOT)}; "
          f"best of {args.repeats}\n")
    print("| window (bases) | threads | dnassm embed | PyTorch (same run) | ratio | max rel. diff |")
    print("|---|---|---|---|---|---|")
    for L in (int(x) for x in args.lengths.split(",")):
        seq = read_fasta_region(fasta, args.start, args.start + L)
        region = f"{contig}:{args.start + 1}-{args.start + L}"
        ids = tokenize(seq)
        for t in (int(x) for x in args.threads.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "e.npy")
                cmd = [dnassm, "embed", "-m", args.model, "-@", str(t), "-r", region, "-o", out, "--quiet", fasta]
                d_s, _ = best_of(args.repeats, lambda: subprocess.run(cmd, check=True))
                ours = np.load(out)
            torch.set_num_threads(t)
            with torch.no_grad():
                t_s, ref = best_of(args.repeats, lambda: model.hidden(ids).numpy())
            err = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
            print(f"| {L:,} | {t} | {d_s:.2f} s ({L / d_s:,.0f} bases/s) | {t_s:.2f} s ({L / t_s:,.0f} bases/s) | "
                  f"{t_s / d_s:.1f}x | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
