#!/usr/bin/python3
"""Fine-tuning on one's own labeled regions, on real data: 150-bp windows from the middle of E. coli
K-12 coding sequences (label cds, strand from the annotation) and of intergenic stretches (label
intergenic), a linear probe on the bundled model's mean-pooled embeddings, validated on a held-out
stretch of the genome (--val-region), with and without --stranded (coding windows read 5'->3' on their
gene's strand). Prints one line per run; needs ../shared/data and a built dnassm.

usage: bench/finetune_regions.py [DNASSM] [--threads T] [--full] [--balanced]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655")
FASTA = os.path.join(DATA, "ecoli_k12_mg1655.bgzf.fa.gz")
HELD_OUT = "NC_000913.3:3700001-4641652"  # the last fifth of the chromosome
W = 150


def windows(bed, label, stranded_source):
    out = []
    with open(bed) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            beg, end = int(c[1]), int(c[2])
            if end - beg < W:
                continue
            mid = (beg + end) // 2 - W // 2
            strand = c[5] if stranded_source and len(c) > 5 else "."
            out.append((c[0], mid, mid + W, label, strand))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dnassm", nargs="?", default=os.path.join(ROOT, "build", "release", "app", "dnassm"))
    ap.add_argument("--threads", default="2")
    ap.add_argument("--full", action="store_true", help="also fine-tune the whole backbone (slower)")
    ap.add_argument("--balanced", action="store_true", help="--class-weight balanced in every run")
    a = ap.parse_args()
    if not os.path.exists(FASTA):
        sys.exit(f"skipped: {FASTA} absent (../shared/data)")
    rows = windows(os.path.join(DATA, "ecoli_k12_mg1655.cds.bed"), "cds", True)
    rows += windows(os.path.join(DATA, "ecoli_k12_mg1655.intergenic.bed"), "intergenic", False)
    rows.sort(key=lambda r: (r[0], r[1]))
    with tempfile.TemporaryDirectory(prefix="dnassm_ft_") as tmp:
        run_all(a, rows, tmp)


def run_all(a, rows, tmp):
    bed = os.path.join(tmp, "windows.bed")
    with open(bed, "w") as f:
        for chrom, beg, end, label, strand in rows:
            f.write(f"{chrom}\t{beg}\t{end}\t{label}\t0\t{strand}\n")
    n_cds = sum(r[3] == "cds" for r in rows)
    minus = sum(r[4] == "-" for r in rows)
    print(f"# {len(rows)} windows of {W} bp: {n_cds} cds ({minus} on the - strand), {len(rows) - n_cds} intergenic; "
          f"validation: those touching {HELD_OUT}")
    runs = [("probe", ["--freeze-backbone", "--epochs", "30", "--lr", "0.01", "--patience", "30"])]
    if a.full:
        runs.append(("full", ["--epochs", "3", "--lr", "1e-3"]))
    for name, extra in runs:
        for stranded in (False, True):
            out = os.path.join(tmp, f"{name}{'_s' if stranded else ''}")
            cmd = [a.dnassm, "finetune", "-m", "dnassm-mamba-small", "--train", bed, "--fasta", FASTA,
                   "--label-column", "4", "--val-region", HELD_OUT, "-@", a.threads, "--progress", "none",
                   "-o", out] + extra + (["--stranded"] if stranded else [])
            cmd += ["--class-weight", "balanced"] if a.balanced else []
            t0 = time.time()
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
            m = json.load(open(os.path.join(out, "metrics.json")))["val"]
            print(f"{name:6s} {'--stranded' if stranded else 'forward   '}{' balanced' if a.balanced else ''}  n_val {m['n']:5d}  AUROC {m['auroc']:.4f}  "
                  f"acc {m['accuracy']:.4f}  MCC {m['mcc']:.4f}  ({time.time() - t0:.1f} s)")
    print("# command per run: " + " ".join(["dnassm finetune -m dnassm-mamba-small --train windows.bed --fasta",
                                           "ecoli_k12_mg1655.bgzf.fa.gz --label-column 4 --val-region", HELD_OUT,
                                           "-@", a.threads, "[--stranded] ..."]))


if __name__ == "__main__":
    main()
