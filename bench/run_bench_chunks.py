#!/usr/bin/python3
"""Cost of exact scatter/gather for a Mamba model: a contig cut into N chunks, each run by its own
`dnassm predict` process, either from the contig start (`--context -1`, the chunks independent)
or from the stream state the previous chunk saved (`--state-in/--state-out`, the chunks in turn).
Times every process in the same run, checks both gathered tracks against one whole-contig run,
and prints Markdown for bench/RESULTS.md.

    /usr/bin/python3 bench/run_bench_chunks.py [--build build/release] [--chunks 4] [--threads 1]
                                               [--fasta FASTA] [--contig NAME]
"""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np
import pyBigWig

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ECOLI = os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz")
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
MODEL = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def values(path, contig, length):
    with pyBigWig.open(path) as bw:
        return np.array(bw.values(contig, 0, length), dtype=np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--fasta", default=ECOLI if os.path.exists(ECOLI) else LAMBDA)
    ap.add_argument("--contig")
    a = ap.parse_args()
    dnassm = os.path.join(a.build, "app", "dnassm")
    with open(a.fasta + ".fai") as f:
        contigs = [(l.split("\t")[0], int(l.split("\t")[1])) for l in f]
    contig, length = next(c for c in contigs if a.contig in (None, c[0]))
    bounds = [length * i // a.chunks for i in range(a.chunks + 1)]
    base = [dnassm, "predict", "-m", MODEL, "-@", a.threads, "--progress", "none"]
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        whole_s = timed(base + ["-r", contig, "-o", p("whole.bw"), a.fasta])
        rows, modes = [], {"context": [], "state": []}
        for i in range(a.chunks):
            region = ["-r", f"{{{contig}}}:{bounds[i] + 1}-{bounds[i + 1]}"]
            modes["context"].append(timed(base + region + ["--context", "-1", "-o", p(f"c{i}.bw"), a.fasta]))
            chain = (["--state-in", p(f"{i - 1}.state")] if i else []) + ["--state-out", p(f"{i}.state")]
            modes["state"].append(timed(base + region + chain + ["-o", p(f"s{i}.bw"), a.fasta]))
            rows.append((i + 1, bounds[i + 1] - bounds[i], modes["context"][-1], modes["state"][-1]))
        whole = values(p("whole.bw"), contig, length)
        diffs = {}
        for mode, prefix in (("context", "c"), ("state", "s")):
            subprocess.run([dnassm, "merge", "-o", p(f"{prefix}.bw")] + [p(f"{prefix}{i}.bw") for i in range(a.chunks)],
                           check=True, capture_output=True)
            got = values(p(f"{prefix}.bw"), contig, length)
            assert np.array_equal(np.isnan(got), np.isnan(whole)), mode
            ok = ~np.isnan(whole)
            diffs[mode] = float(np.abs(got[ok] - whole[ok]).max())
    print(f"{contig} ({length:,} bp) in {a.chunks} chunks, `-@ {a.threads}`; one whole-contig run: {whole_s:.1f} s\n")
    print("| chunk | bases | `--context -1` (s) | `--state-in/--state-out` (s) |")
    print("|---|---|---|---|")
    for i, n, c, s in rows:
        print(f"| {i} | {n:,} | {c:.1f} | {s:.1f} |")
    tc, ts = sum(modes["context"]), sum(modes["state"])
    print(f"| all | {length:,} | {tc:.1f} | {ts:.1f} |\n")
    print(f"Process time, summed: `--context -1` {tc / whole_s:.2f}x one whole run, the chained state "
          f"{ts / whole_s:.2f}x ({tc / ts:.2f}x less). Longest chunk (wall time when chunks run in parallel): "
          f"{max(modes['context']):.1f} s against a chain of {ts:.1f} s. Gathered tracks against the whole run: "
          f"max |difference| {diffs['context']:.1e} (context) and {diffs['state']:.1e} (state).")


if __name__ == "__main__":
    main()
