#!/usr/bin/env python3
"""The command-line half of the GPU parity run (issues C1, C2, F): the same `dnassm` commands on the
device under test and on the CPU must give the same numbers.

- embed (per-base hidden states) of the bundled Mamba, the golden HyenaDNA and both golden Caduceus
  models on an E. coli region, and a predict --track loglik bedGraph: 1e-4 relative; embed --bf16
  (bfloat16 GEMM inputs on both devices): 1e-3;
- score (llr, embedding distances) of SNVs and deletions, bundled Mamba with and without --rc and
  Caduceus PS: 1e-4 relative;
- `--device auto` names the device it picked;
- pretrain: a few AdamW steps on the device and on the CPU from the same random initial model
  (Mamba and HyenaDNA) end with the same weights (1e-4 relative after 4 steps; Mamba with --bf16
  autocast, 1e-2);
- long training windows (C2): one pretrain step with --recompute at each window length given, for
  the bundled model's shape and a HyenaDNA-medium shape (d_model 256, 8 layers), with wall time
  and peak device memory (nvidia-smi), until one fails or runs past its time limit.

    python3 bench/gpu_cli_check.py --dnassm BIN --genome FA [--device cuda] [--windows 131072,...]

Locally (no GPU) `--device cpu-ref` checks the script itself. Exit status 1 when a check fails.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from safetensors_numpy import read_safetensors_numpy  # noqa: E402

CONTIG = "NC_000913.3"
failures = []


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def check(name, value, limit):
    ok = value <= limit and np.isfinite(value)
    print(f"| {name} | {value:.2e} | {limit:.0e} | {'ok' if ok else 'FAIL'} |", flush=True)
    if not ok:
        failures.append(name)


def run(args, timeout=300):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} exit {p.returncode}: {p.stderr.strip()[-400:]}")
    return p


def attempt(name, fn):
    """Runs one check; a command that fails is reported as that check's failure, and the rest go on."""
    try:
        fn()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"| {name} | {str(e).splitlines()[-1][:200]} | | FAIL |", flush=True)
        failures.append(name)


def bedgraph_values(path):
    return np.array([float(l.split()[3]) for l in open(path) if not l.startswith(("track", "#"))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnassm", required=True)
    ap.add_argument("--genome", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--windows", default="131072,262144,524288,1048576")
    ap.add_argument("--window-timeout", type=int, default=90)
    ap.add_argument("--windows-only", action="store_true", help="only the long-window training table")
    a = ap.parse_args()
    dev, exe, fa = a.device, a.dnassm, a.genome
    golden = os.path.join(ROOT, "tests", "data", "golden")
    models = {"bundled Mamba": os.path.join(ROOT, "data", "models", "dnassm-mamba-small"),
              "HyenaDNA tiny (golden)": os.path.join(golden, "hyenadna_tiny1k_L1024"),
              "Caduceus Ph (golden)": os.path.join(golden, "caduceus_ph_L1024_B1"),
              "Caduceus PS (golden)": os.path.join(golden, "caduceus_ps_L1024_B1")}
    with tempfile.TemporaryDirectory() as tmp:
        if not a.windows_only:
            parity_checks(exe, fa, dev, models, tmp)
        if a.windows:
            long_windows(exe, fa, dev, models, tmp, [int(x) for x in a.windows.split(",")], a.window_timeout)
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


def parity_checks(exe, fa, dev, models, tmp):
    print(f"| check ({dev} vs cpu) | rel. difference | limit | |\n|---|---|---|---|", flush=True)
    region = f"{CONTIG}:100001-150000"
    for name, m in models.items():
        def embed(name=name, m=m):
            out = {}
            for d in (dev, "cpu"):
                out[d] = os.path.join(tmp, f"e_{d}.npy")
                run([exe, "embed", "-m", m, "-r", region, "--device", d, "-o", out[d], fa])
            check(f"embed {name}, {region}", rel(np.load(out[dev]), np.load(out["cpu"])), 1e-4)
        attempt(f"embed {name}", embed)
    m = models["bundled Mamba"]

    def embed_bf16():  # both sides round the GEMM inputs alike; rounding ties part them a little
        out = {}
        for d in (dev, "cpu"):
            out[d] = os.path.join(tmp, f"e16_{d}.npy")
            run([exe, "embed", "-m", m, "-r", region, "--device", d, "--bf16", "-o", out[d], fa])
        check(f"embed --bf16 bundled Mamba, {region}", rel(np.load(out[dev]), np.load(out["cpu"])), 1e-3)
    attempt("embed --bf16", embed_bf16)

    def predict():
        for d in (dev, "cpu"):
            run([exe, "predict", "-m", m, "-r", region, "--track", "loglik", "--device", d,
                 "-o", os.path.join(tmp, f"p_{d}.bedgraph"), fa])
        check("predict loglik bedGraph, bundled Mamba",
              rel(bedgraph_values(os.path.join(tmp, f"p_{dev}.bedgraph")),
                  bedgraph_values(os.path.join(tmp, "p_cpu.bedgraph"))), 1e-4)
    attempt("predict", predict)

    def table():  # a row per region (side by side on the CPU, one after another on the GPU)
        regions = [f"{CONTIG}:{b + 1}-{b + 2000}" for b in range(200000, 220000, 2500)]
        cols = {}
        for d in (dev, "cpu"):
            out = os.path.join(tmp, f"t_{d}.tsv")
            run([exe, "predict", "-m", m, "--track", "loglik,entropy", "--device", d, "-@", "2", "-o", out, fa,
                 *regions])
            rows = [l.split("\t") for l in open(out).read().splitlines()[1:]]
            cols[d] = np.array([[float(r[6]), float(r[9])] for r in rows])  # loglik_sum, entropy_sum
        check("predict -o TSV (a row per region), bundled Mamba", rel(cols[dev], cols["cpu"]), 1e-4)
    attempt("predict table", table)

    def masked():  # the bundled Caduceus masked LM: bases 16 apart masked together, and exact marginals
        cad = os.path.join(ROOT, "data", "models", "dnassm-caduceus-small")
        for spacing, reg in (("16", f"{CONTIG}:200001-204000"), ("0", f"{CONTIG}:200001-200300")):
            for d in (dev, "cpu"):
                run([exe, "predict", "-m", cad, "-r", reg, "--track", "loglik,entropy", "--mlm-spacing", spacing,
                     "--device", d, "-o", os.path.join(tmp, f"mlm{spacing}_{d}.{{track}}.bedgraph"), fa])
            for track in ("loglik", "entropy"):
                check(f"predict masked-LM {track}, bundled Caduceus, --mlm-spacing {spacing}, {reg}",
                      rel(bedgraph_values(os.path.join(tmp, f"mlm{spacing}_{dev}.{track}.bedgraph")),
                          bedgraph_values(os.path.join(tmp, f"mlm{spacing}_cpu.{track}.bedgraph"))), 1e-4)
    attempt("predict masked LM", masked)

    def auto():
        p = run([exe, "embed", "-m", m, "-r", f"{CONTIG}:1-1000", "-o", os.path.join(tmp, "auto.npy"), fa])
        picked = [l for l in p.stderr.splitlines() if "using" in l]
        print(f"| --device auto says | {picked[0] if picked else 'NOTHING'} | | "
              f"{'ok' if picked else 'FAIL'} |", flush=True)
        if not picked:
            failures.append("auto")
    if dev.startswith("cuda"):
        attempt("--device auto", auto)

    def pretrain(family, init_args, bf16=False):
        init = os.path.join(tmp, f"init_{family}")
        if not os.path.exists(init):
            run([sys.executable, os.path.join(ROOT, "data", "models", f"make_random_{family}.py"), init,
                 *init_args])
        w = {}
        for d in (dev, "cpu"):
            o = os.path.join(tmp, f"pt_{family}_{d}_{bf16}")
            run([exe, "pretrain", "-m", init, "-o", o, "--fasta", fa, "--window", "4096", "--batch", "2",
                 "--steps", "4", "--warmup", "1", "--eval-every", "4", "--save-every", "4", "--val-bases",
                 "20000", "--progress", "none", "--device", d, "-@", "8", *(["--bf16"] if bf16 else [])])
            w[d] = read_safetensors_numpy(os.path.join(o, "model.safetensors"))
        worst = max(rel(w[dev][k], w["cpu"][k]) for k in w["cpu"])
        # bf16 autocast: rounding boundaries make the two devices part by more than fp32 does
        check(f"pretrain {family}{' --bf16' if bf16 else ''}: weights after 4 steps (worst tensor)",
              worst, 1e-2 if bf16 else 1e-4)
    for family, init_args in (("mamba", ["128", "2"]),
                              ("hyena", ["--d-model", "64", "--n-layer", "2", "--l-max", "4098"]),
                              ("caduceus", ["32", "2"])):  # Caduceus: masked-LM pretraining
        attempt(f"pretrain {family}", lambda family=family, init_args=init_args: pretrain(family, init_args))
    attempt("pretrain mamba --bf16", lambda: pretrain("mamba", ["128", "2"], bf16=True))

    # Last, so that the stage's time limit would cut these first.
    def score(name, model, rc):
        # SNVs and indels in the region (REF read from the genome): REF and ALT windows share their
        # first bases, which a streaming model runs once and continues from a copied device state.
        with gzip.open(fa, "rt") if fa.endswith(".gz") else open(fa) as f:
            seq = "".join(line.strip() for line in f if not line.startswith(">"))[:200000]
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        vcf = os.path.join(tmp, "v.vcf")
        with open(vcf, "w") as f:
            f.write(f"##fileformat=VCFv4.2\n##contig=<ID={CONTIG}>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
            for i, pos in enumerate(range(101000, 149000, 3000)):
                ref = seq[pos - 1:pos + 2] if i % 4 == 3 else seq[pos - 1]
                alt = seq[pos - 1] if i % 4 == 3 else other.get(ref, "A")
                f.write(f"{CONTIG}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\n")
        vals = {}
        for d in (dev, "cpu"):
            out = os.path.join(tmp, f"s_{d}.tsv")
            run([exe, "score", "-m", model, "--vcf", vcf, "--score-window", "1024", "--device", d,
                 *(["--rc"] if rc else []), "-o", out, fa])
            vals[d] = np.array([[float(x) if x != "NA" else 0.0 for x in l.split("\t")[4:]]
                                for l in open(out).read().splitlines()[1:]])
        check(f"score{' --rc' if rc else ''} {name}: llr, emb_l2, emb_cos of 16 variants", rel(vals[dev], vals["cpu"]),
              1e-4)
    for name, rc in (("bundled Mamba", False), ("bundled Mamba", True), ("Caduceus PS (golden)", False)):
        attempt(f"score {name}", lambda name=name, rc=rc: score(name, models[name], rc))


def long_genome(fa, tmp, bases):
    """One contig of at least `bases` bases: the genome's first record repeated (pretrain trains on
    the first 90 % of a contig, so windows past E. coli's 4.2 Mb need a longer one)."""
    with gzip.open(fa, "rt") if fa.endswith(".gz") else open(fa) as f:
        seq = "".join(line.strip() for line in f if not line.startswith(">"))
    copies = -(-bases // len(seq))
    path = os.path.join(tmp, "long.fa")
    with open(path, "w") as out:
        out.write(f">repeated x{copies}\n")
        for _ in range(copies):
            for i in range(0, len(seq), 80):
                out.write(seq[i:i + 80] + "\n")
    return path


def long_windows(exe, fa, dev, models, tmp, windows, window_timeout):
    print("\n| model | training window | one step, wall (s) | peak device memory (MiB) | |\n|---|---|---|---|---|",
          flush=True)
    if max(windows) > 4_000_000:
        fa = long_genome(fa, tmp, int(max(windows) / 0.9) + 1000)
    shapes = (("bundled Mamba d128x4", None),
              ("HyenaDNA-medium shape d256x8", ["--d-model", "256", "--n-layer", "8"]))
    for name, hargs in shapes:
        for win in windows:
            if hargs is None:
                init = models["bundled Mamba"]
            else:
                init = os.path.join(tmp, f"hy_{win}")
                run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_hyena.py"), init, *hargs,
                     "--l-max", str(win + 2)])
            smi = subprocess.Popen(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits",
                                    "-lms", "200"], stdout=subprocess.PIPE, text=True) \
                if dev.startswith("cuda") and shutil.which("nvidia-smi") else None
            t0 = time.perf_counter()
            status = "ok"
            try:
                run([exe, "pretrain", "-m", init, "-o", os.path.join(tmp, f"long_{win}_{hargs is None}"), "--fasta", fa,
                     "--window", str(win), "--batch", "1", "--steps", "1", "--warmup", "0", "--eval-every",
                     "1000", "--save-every", "1000", "--val-bases", "1000", "--recompute", "--progress", "none",
                     "--device", dev, "-@", "16"], timeout=window_timeout)
            except subprocess.TimeoutExpired:
                status = f"over {window_timeout} s"
            except RuntimeError as e:
                status = str(e).splitlines()[-1][:120]
            secs = time.perf_counter() - t0
            peak = "—"
            if smi:
                smi.terminate()
                vals = [int(x) for x in smi.communicate()[0].split() if x.isdigit()]
                peak = str(max(vals)) if vals else "—"
            print(f"| {name} | {win:,} | {secs:.1f} | {peak} | {status} |", flush=True)
            if status != "ok":
                break


if __name__ == "__main__":
    sys.exit(main())
