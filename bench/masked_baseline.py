#!/usr/bin/python3
"""The quality bar of a masked LM (Caduceus pretraining): two-sided context models (k bases on
each side, k = 1..6, add-one smoothing) fitted on the first 90 % of a genome's bases and scored in
bits/base at the first --val-bases of the held-out last 10 %, the part `dnassm pretrain
--val-bases` validates on (a one-contig genome). The context model sees both neighbours unmasked,
which the model's validation does not (15 % of its context is corrupted), so the bar is a
generous one.

    /usr/bin/python3 bench/masked_baseline.py [GENOME.fa] [--val-bases 50000]
"""
import argparse

import numpy as np

from markov_baseline import CODE, load


def two_sided_bits(train, test, k):
    def contexts(x):
        i = np.arange(k, len(x) - k)
        ctx = np.zeros(len(i), dtype=np.int64)
        bad = x[i] == 4
        for off in [*range(-k, 0), *range(1, k + 1)]:
            b = x[i + off]
            bad |= b == 4
            ctx = ctx * 4 + np.where(b == 4, 0, b)
        return ctx[~bad], x[i][~bad]
    ctx, y = contexts(train)
    counts = np.bincount(ctx * 4 + y, minlength=4 ** (2 * k + 1)).reshape(-1, 4).astype(np.float64)
    probs = (counts + 1.0) / (counts.sum(1, keepdims=True) + 4.0)
    tctx, ty = contexts(test)
    return float(-np.log2(probs[tctx, ty]).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("genome", nargs="?", default="../shared/data/ecoli_k12_mg1655/ecoli_k12_mg1655.bgzf.fa.gz")
    ap.add_argument("--val-bases", type=int, default=50000)
    args = ap.parse_args()
    x = CODE[np.frombuffer(load(args.genome).upper(), dtype=np.uint8)]
    cut = int(len(x) * 0.9)
    train, test = x[:cut], x[cut:cut + args.val_bases]
    print(f"# {args.genome}: {len(x):,} bases; fit on the first {cut:,}, score {len(test):,} held out")
    for k in range(1, 7):
        print(f"two-sided context {k}+{k}: {two_sided_bits(train, test, k):.4f} bits/base")


if __name__ == "__main__":
    main()
