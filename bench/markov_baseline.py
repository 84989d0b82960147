#!/usr/bin/python3
"""Baselines for the default model's quality bar (issue B): order-k Markov models (k = 1..12,
add-one smoothing) fitted on the first 90 % of a genome and scored in bits/base on the last
10 %, plus xz and zstd compressed size per base of that held-out part.

    /usr/bin/python3 bench/markov_baseline.py [/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz]
"""
import gzip
import lzma
import shutil
import subprocess
import sys

import numpy as np

CODE = np.full(256, 4, dtype=np.int64)
for i, c in enumerate(b"ACGT"):
    CODE[c] = i
    CODE[c + 32] = i


def load(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        lines = [l.strip() for l in f if not l.startswith(b">")]
    return b"".join(lines)


def markov_bits(train, test, k):
    def contexts(x):
        n = len(x)
        ctx = np.zeros(n, dtype=np.int64)
        bad = np.zeros(n, dtype=bool)
        for j in range(1, k + 1):  # base at i-j contributes digit j-1
            prev = np.concatenate([np.full(j, 4), x[:-j]])
            bad |= prev == 4
            ctx = ctx * 4 + np.where(prev == 4, 0, prev)
        return ctx, bad | (x == 4) | (np.arange(n) < k)
    ctx, bad = contexts(train)
    counts = np.bincount(ctx[~bad] * 4 + train[~bad], minlength=4 ** (k + 1)).reshape(-1, 4).astype(np.float64)
    probs = (counts + 1.0) / (counts.sum(1, keepdims=True) + 4.0)
    tctx, tbad = contexts(test)
    p = probs[tctx[~tbad], test[~tbad]]
    return float(-np.log2(p).mean())


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz"
    seq = load(path).upper()
    x = CODE[np.frombuffer(seq, dtype=np.uint8)]
    cut = int(len(x) * 0.9)
    train, test = x[:cut], x[cut:]
    print(f"# {path}: {len(x):,} bases; train first 90 % ({cut:,}), score last 10 % ({len(test):,})\n")
    print("| model | bits/base on the held-out 10 % |")
    print("|---|---|")
    best = None
    for k in range(1, 13):
        b = markov_bits(train, test, k)
        best = min(best or b, b)
        print(f"| order-{k} Markov (add-one) | {b:.4f} |", flush=True)
    held = seq[cut:]
    print(f"| xz -9e (held-out part alone) | {8 * len(lzma.compress(held, preset=9 | lzma.PRESET_EXTREME)) / len(held):.4f} |")
    if shutil.which("zstd"):
        z = subprocess.run(["zstd", "-19", "-c"], input=held, capture_output=True, check=True).stdout
        print(f"| zstd -19 (held-out part alone) | {8 * len(z) / len(held):.4f} |")
    print(f"\nbest Markov: {best:.4f} bits/base")


if __name__ == "__main__":
    main()
