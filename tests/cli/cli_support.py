#!/usr/bin/python3
"""What the CLI tests share: paths to the bundled and golden models and data, a runner of the dnassm
binary under test, a temporary-folder test case and small independent helpers (BED calls, VCFs,
AUROC). cli_test.py names the binary (set_binary) before any test runs."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from safetensors_numpy import read_safetensors_numpy  # noqa: E402

read_safetensors = read_safetensors_numpy  # the name the tests use
DNASSM = None  # the binary under test, from set_binary


def set_binary(path):
    global DNASSM
    DNASSM = os.path.abspath(path)


def dnassm_binary():
    return DNASSM


MODEL = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
GOLDEN_MODEL = os.path.join(ROOT, "tests", "data", "golden", "mamba1_rmsnorm_L2048_B2")
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
ECOLI = os.path.join(SHARED, "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz")
EX1_BAM = os.path.join(SHARED, "bam", "pysam_ex1", "ex1.bam")


def run(*args, stdin=None, expect=0, binary=False):
    """binary: standard output as bytes (a bigWig written to /dev/stdout)."""
    p = subprocess.run([DNASSM, *args], input=stdin, capture_output=True, timeout=600)
    err = p.stderr.decode()
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"dnassm {' '.join(args)}: exit {p.returncode}, expected {expect}\n{err}")
    return p.returncode, p.stdout if binary else p.stdout.decode(), err


def stopped_run(folder, args, sig):
    """Runs dnassm until a temp file of its output shows in `folder`, then sends it `sig`; returns its exit
    code (-sig when the signal ended it) and standard error."""
    def default_signals():  # a test runner started in the background has SIGINT ignored, which dnassm keeps
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    p = subprocess.Popen([DNASSM, *args], stderr=subprocess.PIPE, preexec_fn=default_signals)
    try:
        deadline = time.monotonic() + 120  # a bound on a hang, not a timing
        while not any(".tmp." in f for f in os.listdir(folder)):
            if p.poll() is not None:
                raise AssertionError(f"dnassm {' '.join(args)} ended (exit {p.returncode}) before it could be stopped")
            if time.monotonic() > deadline:
                raise AssertionError(f"dnassm {' '.join(args)}: no temp file in {folder} after 120 s")
            time.sleep(0.02)
        p.send_signal(sig)
        _, err = p.communicate(timeout=120)
        return p.returncode, err.decode()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def expected_calls(chrom, beg, values, threshold, below=False, merge_gap=0, min_length=1, name="call",
                   probability=False):
    """BED6 lines thresholding per-base values (values[i] at base beg + i; NaN never passes), written
    independently of dnassm's CallWriter."""
    with np.errstate(invalid="ignore"):
        passed = np.flatnonzero(values <= threshold if below else values >= threshold)
    groups = []
    for i in passed:
        if groups and i - groups[-1][-1] - 1 <= merge_gap:
            groups[-1].append(i)
        else:
            groups.append([i])
    lines = []
    for g in groups:
        if g[-1] + 1 - g[0] < min_length:
            continue
        score = min(1000, max(0, int(np.floor(1000 * np.mean(values[g].astype(np.float64)) + 0.5)))) if probability else 0
        lines.append(f"{chrom}\t{beg + g[0]}\t{beg + g[-1] + 1}\t{name}\t{score}\t.")
    return lines


def lambda_seq():
    import gzip
    with gzip.open(LAMBDA, "rt") as f:
        return "".join(l.strip() for l in f if not l.startswith(">"))


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dnassm_cli_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assert_only_files(self, *names):
        self.assertEqual(sorted(os.listdir(self.tmp)), sorted(names), "unexpected files (temp left behind?)")


HYENA = os.path.join(ROOT, "tests", "data", "golden", "hyenadna_tiny1k_L300")  # HyenaDNA tiny, l_max 1026


def revcomp(s):
    return s[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca"))


def load_json(path):
    with open(path) as f:
        return json.load(f)


def write_vcf(path, rows, contig_length=48502):
    """A VCF of (chrom, pos, ref, alt) rows whose header declares lambda's contig (and its unversioned name)."""
    with open(path, "w") as f:
        f.write(f"##fileformat=VCFv4.2\n##contig=<ID=NC_001416.1,length={contig_length}>\n##contig=<ID=NC_001416>\n"
                "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for c, p, r, a in rows:
            f.write(f"{c}\t{p}\t.\t{r}\t{a}\t.\tPASS\t.\n")
    return path


def read_text(path):
    with open(path) as f:
        return f.read()


def data_lines(text):
    """The lines of a bedGraph's or BED's text after the "#" lines that say what produced it."""
    return [l for l in text.splitlines() if not l.startswith("#")]


def track_lines(path):
    """The data lines of a bedGraph or BED file, plain or gzip-compressed."""
    import gzip
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rt") if gz else open(path)) as f:
        return data_lines(f.read())


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def random_dna(rng, n, gc):
    """n bases with GC fraction gc."""
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choice(list("ACGT"), size=n, p=p))


def auroc(score, positive):
    order = np.argsort(score, kind="stable")
    ranks = np.empty(len(score))
    s = np.asarray(score)[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[order[i:j]] = 0.5 * (i + 1 + j)
        i = j
    pos = np.asarray(positive, bool)
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
