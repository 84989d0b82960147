#!/usr/bin/python3
"""The quality bar of a masked LM (Caduceus pretraining): two-sided context models (k bases on
each side, k = 1..6, add-one smoothing) fitted on the first 90 % of a genome's bases and scored in
bits/base on held-out bases from the last 10 %: by default the first --val-bases of it, the part
`dnassm pretrain --val-bases` validates on (a one-contig genome; the context model sees both
neighbours unmasked, which the model's validation does not — 15 % of its context is corrupted —
so that bar is a generous one). With --model, both score --bases held-out bases each predicted
from clean context on both sides (the model by `dnassm predict --track loglik`: every base masked
alone, --mlm-context bases each side), the like-for-like comparison.

    /usr/bin/python3 bench/masked_baseline.py [GENOME.fa] [--val-bases 50000]
        [--model DIR --dnassm BIN --bases 5000]
"""
import argparse

import numpy as np

from markov_baseline import CODE, load, predict_loglik

CONTEXT = 512  # predict's default --mlm-context


def two_sided_probs(train, test, k):
    """p(test[i] | k bases each side) for i in [k, len(test) - k), NaN where a base is not A/C/G/T."""
    def contexts(x):
        i = np.arange(k, len(x) - k)
        ctx = np.zeros(len(i), dtype=np.int64)
        bad = x[i] == 4
        for off in [*range(-k, 0), *range(1, k + 1)]:
            b = x[i + off]
            bad |= b == 4
            ctx = ctx * 4 + np.where(b == 4, 0, b)
        return ctx, x[i], bad
    ctx, y, bad = contexts(train)
    counts = np.bincount(ctx[~bad] * 4 + y[~bad], minlength=4 ** (2 * k + 1)).reshape(-1, 4).astype(np.float64)
    probs = (counts + 1.0) / (counts.sum(1, keepdims=True) + 4.0)
    tctx, ty, tbad = contexts(test)
    return np.where(tbad, np.nan, probs[tctx, np.where(ty == 4, 0, ty)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("genome", nargs="?", default="../shared/data/ecoli_k12_mg1655/ecoli_k12_mg1655.bgzf.fa.gz")
    ap.add_argument("--val-bases", type=int, default=50000)
    ap.add_argument("--model")
    ap.add_argument("--dnassm", default="build/release/app/dnassm")
    ap.add_argument("--bases", type=int, default=5000)
    args = ap.parse_args()
    seq = load(args.genome).upper()
    x = CODE[np.frombuffer(seq, dtype=np.uint8)]
    cut = int(len(x) * 0.9)
    train = x[:cut]
    if not args.model:
        test = x[cut:cut + args.val_bases]
        print(f"# {args.genome}: {len(x):,} bases; fit on the first {cut:,}, score {len(test):,} held out")
        for k in range(1, 7):
            print(f"two-sided context {k}+{k}: {np.nanmean(-np.log2(two_sided_probs(train, test, k))):.4f} bits/base")
        return
    # Targets [cut + CONTEXT, cut + CONTEXT + bases): every one has CONTEXT held-out-side bases of context.
    lo, hi = cut, cut + args.bases + 2 * CONTEXT
    ours = -predict_loglik(args.dnassm, args.model, seq[lo:hi], "--mlm-context", str(CONTEXT)) / np.log(2)
    ours = ours[CONTEXT:CONTEXT + args.bases]
    print(f"# {args.genome}: fit on the first {cut:,} bases; score {args.bases:,} held-out bases "
          f"from {cut + CONTEXT:,}, each from clean context on both sides")
    print(f"{args.model} (dnassm predict, --mlm-context {CONTEXT}): {np.nanmean(ours):.4f} bits/base")
    for k in range(1, 7):
        p = two_sided_probs(train, x[lo:hi], k)[CONTEXT - k:CONTEXT - k + args.bases]
        print(f"two-sided context {k}+{k}: {np.nanmean(-np.log2(p)):.4f} bits/base")


if __name__ == "__main__":
    main()
