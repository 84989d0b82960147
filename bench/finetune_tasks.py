#!/usr/bin/python3
"""Fine-tuning results on real labeled data (issue B), with the commands that produce them.

1. GUE prom_core_all (human core promoters, 70 bp): `dnassm finetune` on train.csv with dev.csv
   for model selection, then `dnassm predict` on test.csv; test MCC, accuracy, AUROC.
2. E. coli K-12 MG1655 per-base gene segmentation: train windows from positions < 3.0 Mb, select
   on 3.0-3.5 Mb, test on >= 3.5 Mb with `dnassm predict --track p_1`; per-base AUROC, next to a
   baseline fitted in this script on the same training positions: logistic regression on the
   counts of the 64 3-mers in a 101 bp window around each base.

    /usr/bin/python3 bench/finetune_tasks.py MODEL_DIR [--dnassm BIN] [--threads N]
        [--gue-epochs E] [--seg-steps S] [--full] [--only gue|seg]
"""
import argparse
import gzip
import os
import shlex
import subprocess
import tempfile
import time

import numpy as np

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
GUE = os.path.join(SHARED, "labels", "gue", "prom_core_all")
ECOLI = os.path.join(SHARED, "ecoli_k12_mg1655")


def sh(cmd):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    t = time.time()
    subprocess.run(cmd, check=True)
    return time.time() - t


def auroc(score, positive):
    score = np.asarray(score, np.float64)
    pos = np.asarray(positive, bool)
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(len(s))
    # average ranks over ties
    uniq, first, counts = np.unique(s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def mcc(pred, y):
    tp = np.sum((pred == 1) & (y == 1)); tn = np.sum((pred == 0) & (y == 0))
    fp = np.sum((pred == 1) & (y == 0)); fn = np.sum((pred == 0) & (y == 1))
    d = np.sqrt(float((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    return float((tp * tn - fp * fn) / d) if d else 0.0


def gue(args, tmp):
    out = os.path.join(tmp, "gue_model")
    cmd = [args.dnassm, "finetune", "-m", args.model, "--task", "classify",
           "--train", os.path.join(GUE, "train.csv"), "--val", os.path.join(GUE, "dev.csv"),
           "--epochs", str(args.gue_epochs), "--batch", "32", "-@", str(args.threads), "--progress", "none",
           "-o", out]
    cmd += ["--lr", "1e-3", "--warmup", "100"] if args.full else ["--freeze-backbone", "--lr", "1e-2",
                                                                  "--patience", "10"]
    t_train = sh(cmd)
    tsv = os.path.join(tmp, "gue_test.tsv")
    sh([args.dnassm, "predict", "-m", out, "-@", str(args.threads), "--progress", "none", "-o", tsv,
        os.path.join(GUE, "test.csv")])
    p = np.loadtxt(tsv, skiprows=1, usecols=(1, 2))
    y = np.loadtxt(os.path.join(GUE, "test.csv"), delimiter=",", skiprows=1, usecols=1, dtype=np.int64)
    pred = p.argmax(1)
    mode = "full fine-tune" if args.full else "frozen backbone (linear probe on mean-pooled embeddings)"
    print(f"\n| GUE prom_core_all test ({len(y)} sequences), {mode} | value |\n|---|---|")
    print(f"| MCC | {mcc(pred, y):.4f} |\n| accuracy | {np.mean(pred == y):.4f} |")
    print(f"| AUROC | {auroc(p[:, 1], y == 1):.4f} |")
    print("| HyenaDNA published frozen-embedding AUROC (Nat. Commun. 2025) | 0.832 |")
    print(f"| fine-tuning wall time | {t_train:.0f} s |\n", flush=True)


def load_fasta(path):
    with gzip.open(path, "rb") as f:
        return b"".join(l.strip() for l in f if not l.startswith(b">")).upper()


def kmer_features(x, half=50):
    """Counts of the 64 3-mers in the window [i-half, i+half] around every position, / window."""
    code = np.full(256, -1, np.int64)
    for i, c in enumerate(b"ACGT"):
        code[c] = i
    c = code[np.frombuffer(x, np.uint8)]
    k = np.full(len(c), -1, np.int64)
    ok = (c[:-2] >= 0) & (c[1:-1] >= 0) & (c[2:] >= 0)
    k[:-2][ok] = (c[:-2] * 16 + c[1:-1] * 4 + c[2:])[ok]
    onehot = np.zeros((len(c), 64), np.float32)
    onehot[np.arange(len(c))[k >= 0], k[k >= 0]] = 1
    cs = np.vstack([np.zeros((1, 64), np.float32), np.cumsum(onehot, 0, dtype=np.float64).astype(np.float32)])
    lo = np.clip(np.arange(len(c)) - half, 0, len(c))
    hi = np.clip(np.arange(len(c)) + half + 1, 0, len(c))
    return (cs[hi] - cs[lo]) / (2 * half + 1)


def logistic_fit(X, y, steps=300, lr=0.5):
    Xb = np.hstack([X, np.ones((len(X), 1), np.float32)])
    mu, sd = Xb.mean(0), Xb.std(0) + 1e-6
    mu[-1], sd[-1] = 0, 1
    Z = (Xb - mu) / sd
    w = np.zeros(Z.shape[1])
    for _ in range(steps):  # full-batch gradient descent on the mean log-loss
        p = 1 / (1 + np.exp(-Z @ w))
        w -= lr * Z.T @ (p - y) / len(y)
    return lambda Xn: (np.hstack([Xn, np.ones((len(Xn), 1), np.float32)]) - mu) / sd @ w


def segmentation(args, tmp):
    fa = os.path.join(ECOLI, "ecoli_k12_mg1655.bgzf.fa.gz")
    bed = os.path.join(ECOLI, "ecoli_k12_mg1655.genes.bed")
    seq = load_fasta(fa)
    L = len(seq)
    out = os.path.join(tmp, "seg_model")
    cmd = [args.dnassm, "finetune", "-m", args.model, "--task", "segment", "--train", bed, "--fasta", fa,
           "--train-region", "NC_000913.3:1-3000000", "--val-region", "NC_000913.3:3000001-3500000",
           "--steps", str(args.seg_steps), "--window", "1024", "--batch", "4", "--lr", "2e-3", "--warmup", "20",
           "-@", str(args.threads), "--progress", "none", "-o", out]
    if not args.full:
        cmd.append("--freeze-backbone")
    t_train = sh(cmd)
    bw = os.path.join(tmp, "p1.bw")
    sh([args.dnassm, "predict", "-m", out, "-r", f"NC_000913.3:3500001-{L}", "-@", str(args.threads),
        "--progress", "none", "-o", bw, fa])
    import pyBigWig
    with pyBigWig.open(bw) as b:
        p = np.array(b.values("NC_000913.3", 3500000, L))
    truth = np.zeros(L, bool)
    for line in open(bed):
        f = line.split("\t")
        truth[int(f[1]):int(f[2])] = True
    test = truth[3500000:]
    feats = kmer_features(seq)
    rng = np.random.default_rng(0)
    tr = rng.choice(3000000, size=300000, replace=False)  # the model's training positions
    score = logistic_fit(feats[tr], truth[tr].astype(np.float64))
    base = score(feats[3500000:])
    mode = "full fine-tune" if args.full else "frozen backbone"
    print(f"\n| E. coli K-12 genes, per-base, test >= 3.5 Mb ({len(test):,} bases, {test.mean():.1%} genic) | AUROC |")
    print("|---|---|")
    print(f"| dnassm segmentation head ({mode}, {args.seg_steps} steps) | {auroc(p, test):.4f} |")
    print(f"| logistic regression on 3-mer counts in 101 bp (this script) | {auroc(base, test):.4f} |")
    print(f"| fine-tuning wall time | {t_train:.0f} s |\n", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--dnassm", default="build/release/app/dnassm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gue-epochs", type=int, default=20)
    ap.add_argument("--seg-steps", type=int, default=300)
    ap.add_argument("--full", action="store_true", help="train the backbone too (default: frozen)")
    ap.add_argument("--only", choices=["gue", "seg"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "seg":
            gue(args, tmp)
        if args.only != "gue":
            segmentation(args, tmp)


if __name__ == "__main__":
    main()
