#!/usr/bin/python3
"""The default model's quality bar (issue B): order-k Markov models (k = 1..12, add-one
smoothing) fitted on the first 90 % of a genome and scored in bits/base on the last 10 %, xz and
zstd compressed size per base of that held-out part, and (with --model) a dnassm model's
bits/base on the same bases, from `dnassm predict --track loglik` (left context only, like the
Markov models). --other FASTA also scores a second genome (e.g. E. coli K-12) with the best
Markov model and the dnassm model.

    /usr/bin/python3 bench/markov_baseline.py [GENOME.fa] [--model DIR --dnassm BIN] [--other FA]
"""
import argparse
import gzip
import os
import tempfile
import lzma
import shutil
import subprocess

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


def predict_loglik(dnassm, model, seq, *extra):
    """dnassm predict --track loglik over `seq` (one contig): ln p of every base (NaN where none)."""
    import pyBigWig
    with tempfile.TemporaryDirectory() as tmp:
        fa, bw = os.path.join(tmp, "s.fa"), os.path.join(tmp, "s.bw")
        with open(fa, "wb") as f:
            f.write(b">s\n")
            for i in range(0, len(seq), 80):
                f.write(seq[i:i + 80] + b"\n")
        subprocess.run([dnassm, "predict", "-m", model, "--track", "loglik", "-@", "2", "--progress", "none",
                        *extra, "-o", bw, fa], check=True)
        with pyBigWig.open(bw) as b:
            return np.array(b.values("s", 0, len(seq)), dtype=np.float64)


def model_bits(dnassm, model, seq):
    """Mean -log2 p(base | left context) over `seq` under a dnassm model (A/C/G/T bases)."""
    v = predict_loglik(dnassm, model, seq)
    v = v[np.isfinite(v)]
    return float(-v.mean() / np.log(2)), len(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("genome", nargs="?", default="/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz")
    ap.add_argument("--model")
    ap.add_argument("--dnassm", default="build/release/app/dnassm")
    ap.add_argument("--other", help="a second genome scored whole (e.g. ../shared/data E. coli K-12)")
    args = ap.parse_args()
    path = args.genome
    seq = load(path).upper()
    x = CODE[np.frombuffer(seq, dtype=np.uint8)]
    cut = int(len(x) * 0.9)
    train, test = x[:cut], x[cut:]
    print(f"# {path}: {len(x):,} bases; train first 90 % ({cut:,}), score last 10 % ({len(test):,})\n")
    print("| model | bits/base on the held-out 10 % |")
    print("|---|---|")
    best, best_k = None, 0
    for k in range(1, 13):
        b = markov_bits(train, test, k)
        if best is None or b < best:
            best, best_k = b, k
        print(f"| order-{k} Markov (add-one) | {b:.4f} |", flush=True)
    held = seq[cut:]
    print(f"| xz -9e (held-out part alone) | {8 * len(lzma.compress(held, preset=9 | lzma.PRESET_EXTREME)) / len(held):.4f} |")
    if shutil.which("zstd"):
        z = subprocess.run(["zstd", "-19", "-c"], input=held, capture_output=True, check=True).stdout
        print(f"| zstd -19 (held-out part alone) | {8 * len(z) / len(held):.4f} |")
    if args.model:
        bits, n = model_bits(args.dnassm, args.model, held)
        print(f"| dnassm model {os.path.basename(os.path.normpath(args.model))} ({n:,} bases scored) | {bits:.4f} |")
    print(f"\nbest Markov: order {best_k}, {best:.4f} bits/base")
    if args.model:
        print(f"dnassm model: {bits:.4f} bits/base ({'beats' if bits < best else 'does NOT beat'} the best Markov model "
              f"by {best - bits:+.4f})")
    if args.other:
        other = load(args.other).upper()
        y = CODE[np.frombuffer(other, dtype=np.uint8)]
        print(f"\n# {args.other}: {len(y):,} bases, scored whole")
        print(f"order-{best_k} Markov fitted on the first 90 % above: {markov_bits(train, y, best_k):.4f} bits/base")
        if args.model:
            print(f"dnassm model: {model_bits(args.dnassm, args.model, other)[0]:.4f} bits/base")


if __name__ == "__main__":
    main()
