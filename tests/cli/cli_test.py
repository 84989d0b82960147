#!/usr/bin/python3
"""End-to-end tests of the dnassm CLI on real data; outputs are read back with numpy, h5py and
pyBigWig. Run by ctest as `cli_test.py DNASSM_BINARY TestClass`."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
import pyBigWig

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from safetensors_numpy import read_safetensors_numpy as read_safetensors  # noqa: E402
DNASSM = None  # set from argv
MODEL = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
GOLDEN_MODEL = os.path.join(ROOT, "tests", "data", "golden", "mamba1_rmsnorm_L2048_B2")
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
ECOLI = os.path.join(SHARED, "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz")
EX1_BAM = os.path.join(SHARED, "bam", "pysam_ex1", "ex1.bam")


def run(*args, stdin=None, expect=0):
    p = subprocess.run([DNASSM, *args], input=stdin, capture_output=True, timeout=600)
    err = p.stderr.decode()
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"dnassm {' '.join(args)}: exit {p.returncode}, expected {expect}\n{err}")
    return p.returncode, p.stdout.decode(), err


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


class EmbedTests(Tmp):
    def test_npy_single_region_shape_chunking_and_threads(self):
        out = self.path("e.npy")
        run("embed", "-m", MODEL, "-r", "NC_001416.1:1001-6000", "-o", out, LAMBDA)
        a = np.load(out)
        self.assertEqual(a.shape, (5000, 128))
        self.assertEqual(a.dtype, np.float32)
        self.assertTrue(np.isfinite(a).all())
        run("embed", "-m", MODEL, "-r", "NC_001416.1:1001-6000", "--chunk", "777", "-o", self.path("c.npy"), LAMBDA)
        b = np.load(self.path("c.npy"))
        self.assertLess(np.linalg.norm(a - b) / np.linalg.norm(a), 1e-5, "chunked output differs")
        run("embed", "-m", MODEL, "-r", "NC_001416.1:1001-6000", "-@", "2", "-o", self.path("t.npy"), LAMBDA)
        self.assertTrue(np.array_equal(a, np.load(self.path("t.npy"))), "-@ 2 changed the numbers")
        run("embed", "-m", MODEL, "-r", "NC_001416.1:1001-6000", "--bf16", "-o", self.path("b.npy"), LAMBDA)
        rel16 = np.linalg.norm(a - np.load(self.path("b.npy"))) / np.linalg.norm(a)
        self.assertGreater(rel16, 1e-5, "--bf16 changed nothing")
        self.assertLess(rel16, 1e-2, "--bf16 is further from fp32 than bfloat16 rounding explains")
        self.assert_only_files("e.npy", "c.npy", "t.npy", "b.npy")

    def test_stranded_bed_intervals_read_as_bedtools_getfasta_s(self):
        seq = lambda_seq()
        with open(self.path("genes.bed"), "w") as f:
            f.write("NC_001416.1\t1000\t1600\tgeneA\t0\t+\nNC_001416.1\t5000\t5600\tgeneB\t0\t-\n")
        with open(self.path("oriented.fa"), "w") as f:
            f.write(f">geneA\n{seq[1000:1600]}\n>geneB\n{revcomp(seq[5000:5600])}\n")
        bed, oriented = self.path("genes.bed"), self.path("oriented.fa")

        def vectors(path):
            return np.loadtxt(path, skiprows=1, usecols=range(4, 4 + 128), dtype=np.float64)
        run("embed", "-m", MODEL, "--pool", "mean", "--stranded", "-R", bed, "-o", self.path("s.tsv"), LAMBDA)
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("o.tsv"), oriented)
        run("embed", "-m", MODEL, "--pool", "mean", "-R", bed, "-o", self.path("f.tsv"), LAMBDA)
        np.testing.assert_allclose(vectors(self.path("s.tsv")), vectors(self.path("o.tsv")), rtol=1e-6, atol=1e-7)
        self.assertEqual(read_text(self.path("s.tsv")).splitlines()[2].split("\t")[:4],
                         ["geneB", "NC_001416.1", "5000", "5600"])
        forward = vectors(self.path("f.tsv"))  # without --stranded, as bedtools getfasta without -s
        np.testing.assert_array_equal(forward[0], vectors(self.path("s.tsv"))[0])
        self.assertGreater(np.abs(forward[1] - vectors(self.path("s.tsv"))[1]).max(), 1e-3)

        # Per-base rows run 5' to 3' along the interval's strand; the dataset says which strand.
        run("embed", "-m", MODEL, "--stranded", "-R", bed, "-o", self.path("s.h5"), LAMBDA)
        run("embed", "-m", MODEL, "-o", self.path("o.h5"), oriented)
        with h5py.File(self.path("s.h5")) as f, h5py.File(self.path("o.h5")) as g:
            self.assertEqual(sorted(f.keys()), ["NC_001416.1:1001-1600", "NC_001416.1:5001-5600(-)"])
            d = f["NC_001416.1:5001-5600(-)"]
            self.assertEqual((d.attrs["strand"], d.attrs["name"], int(d.attrs["start"])), ("-", "geneB", 5000))
            self.assertEqual(f["NC_001416.1:1001-1600"].attrs["strand"], "+")
            self.assertEqual(f.attrs["stranded"], "true")
            np.testing.assert_allclose(d[()], g["geneB"][()], rtol=1e-5, atol=1e-6)

        # The per-sequence table of an LM: the same bits per base as the oriented sequences.
        run("predict", "-m", MODEL, "--stranded", "-R", bed, "-o", self.path("s_rows.tsv"), LAMBDA)
        run("predict", "-m", MODEL, "-o", self.path("o_rows.tsv"), oriented)
        col = lambda path: [l.split("\t")[-1] for l in read_text(path).splitlines()[1:]]
        self.assertEqual(col(self.path("s_rows.tsv")), col(self.path("o_rows.tsv")))

        for args, msg in [(["predict", "--stranded", "-R", bed, "-o", self.path("x.bw")],
                           "--stranded: per-base tracks and calls are in forward reference coordinates"),
                          (["embed", "--stranded", "-r", "NC_001416.1:1-100", "-o", self.path("x.npy")],
                           "--stranded reads the strand of -R BED intervals; give -R regions.bed")]:
            _, _, err = run(*args[:1], "-m", MODEL, *args[1:], LAMBDA, expect=2)
            self.assertIn(msg, err)
        with open(self.path("r.sam"), "w") as f:
            f.write("@SQ\tSN:NC_001416.1\tLN:48502\nr1\t0\tNC_001416.1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\n")
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "--stranded", "-R", bed, "-o", "-",
                        self.path("r.sam"), expect=2)
        self.assertIn("r.sam: --stranded reverse-complements the '-' strand BED intervals of a FASTA", err)
        self.assert_only_files("genes.bed", "oriented.fa", "oriented.fa.fai", "s.tsv", "o.tsv", "f.tsv", "s.h5",
                               "o.h5", "s_rows.tsv", "o_rows.tsv", "r.sam")

    def test_h5_many_regions_attrs_and_pooling(self):
        out = self.path("e.h5")
        regions = ["NC_001416.1:1-3000", "NC_001416.1:40001-41000"]
        run("embed", "-m", MODEL, *sum([["-r", r] for r in regions], []), "-o", out, LAMBDA)
        run("embed", "-m", MODEL, "-r", regions[1], "-o", self.path("one.npy"), LAMBDA)
        run("embed", "-m", MODEL, "--pool", "mean", *sum([["-r", r] for r in regions], []), "-o",
            self.path("p.h5"), LAMBDA)
        with h5py.File(out) as f, h5py.File(self.path("p.h5")) as p:
            self.assertEqual(sorted(f.keys()), sorted(regions))
            # Provenance as root attributes.
            self.assertEqual(f.attrs["command"], f"dnassm embed -m {MODEL} -r {regions[0]} -r {regions[1]} -o {out} {LAMBDA}")
            self.assertEqual((f.attrs["model"], f.attrs["model_family"]), (MODEL, "mamba"))
            self.assertRegex(f.attrs["device"], r"^(cpu|cuda:\d)")  # --device auto
            self.assertEqual((f.attrs["pooling"], p.attrs["pooling"], f.attrs["rc_averaged"]), ("none", "mean", "false"))
            self.assertRegex(f.attrs["dnassm_version"], r"^\d+\.\d+\.\d+")
            d = f["NC_001416.1:40001-41000"]
            self.assertEqual(d.shape, (1000, 128))
            self.assertEqual(d.attrs["chrom"], "NC_001416.1")
            self.assertEqual(int(d.attrs["start"]), 40000)
            self.assertEqual(int(d.attrs["end"]), 41000)
            np.testing.assert_array_equal(d[:], np.load(self.path("one.npy")))
            for r in regions:
                self.assertEqual(p[r].shape, (128,))
                np.testing.assert_allclose(p[r][:], f[r][:].mean(axis=0), rtol=1e-5, atol=1e-6)

    def test_regions_after_the_input_as_samtools(self):
        """`dnassm embed ... IN REGION...` is `-r REGION...`, as `samtools view IN REGION...`."""
        regions = ["NC_001416.1:1-300", "NC_001416.1:40,001-40,500"]
        run("embed", "-m", MODEL, *sum([["-r", r] for r in regions], []), "-o", self.path("r.h5"), LAMBDA)
        run("embed", "-m", MODEL, "-o", self.path("p.h5"), LAMBDA, *regions)
        run("embed", "-m", MODEL, "-r", regions[0], "-o", self.path("m.h5"), LAMBDA, regions[1])
        with h5py.File(self.path("r.h5")) as r, h5py.File(self.path("p.h5")) as p, h5py.File(self.path("m.h5")) as m:
            self.assertEqual(sorted(p.keys()), sorted(r.keys()))
            self.assertEqual(sorted(m.keys()), sorted(r.keys()))
            for k in r.keys():
                np.testing.assert_array_equal(p[k][:], r[k][:])
                np.testing.assert_array_equal(m[k][:], r[k][:])
        run("predict", "-m", MODEL, "-r", regions[1], "-o", self.path("r.bedgraph"), LAMBDA)
        run("predict", "-m", MODEL, "-o", self.path("p.bedgraph"), LAMBDA, regions[1])
        self.assertEqual(read_text(self.path("p.bedgraph")), read_text(self.path("r.bedgraph")))
        # A second input file is not taken for a region, and nothing is written.
        _, _, err = run("embed", "-m", MODEL, "-o", self.path("x.h5"), LAMBDA, self.path("r.h5"), expect=2)
        self.assertIn(f"one input per run: '{self.path('r.h5')}' is a file", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t0\t300\n")
        _, _, err = run("embed", "-m", MODEL, "-R", self.path("r.bed"), "-o", self.path("x.h5"), LAMBDA, regions[1],
                        expect=2)
        self.assertIn("use -r (or regions after the input) or -R, not both", err)
        _, _, err = run("embed", "-m", MODEL, "-o", self.path("x.h5"), LAMBDA, "NC_001416.1:1-60000", expect=1)
        self.assertIn("NC_001416.1:1-60000", err)
        self.assert_only_files("r.h5", "p.h5", "m.h5", "r.bedgraph", "p.bedgraph", "r.bed")

    def test_pooled_vectors_as_npy_matrix_and_tsv(self):
        regions = ["NC_001416.1:40001-41000", "NC_001416.1:1-3000", "NC_001416.1:501-700"]
        args = ["embed", "-m", MODEL, "--pool", "mean", *sum([["-r", r] for r in regions], [])]
        run(*args, "-o", self.path("p.h5"), LAMBDA)
        with h5py.File(self.path("p.h5")) as p:
            want = np.stack([p[r][:] for r in regions])  # input order, not sorted
        run(*args, "-o", self.path("p.npy"), LAMBDA)
        got = np.load(self.path("p.npy"))
        self.assertEqual(got.shape, (3, 128))
        np.testing.assert_array_equal(got, want)
        run(*args, "--dtype", "f16", "-o", self.path("h.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("h.npy")), want.astype(np.float16))
        # TSV: id, chrom, start, end (0-based, as BED) and the values, which read back exactly.
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t40000\t41000\tlate\nNC_001416.1\t0\t3000\n")
        run("embed", "-m", MODEL, "--pool", "mean", "-R", self.path("r.bed"), "-o", self.path("p.tsv"), LAMBDA)
        lines = [l.split("\t") for l in read_text(self.path("p.tsv")).splitlines()]
        self.assertEqual(lines[0][:5], ["id", "chrom", "start", "end", "e0"])
        self.assertEqual(len(lines[0]), 4 + 128)
        self.assertEqual([l[:4] for l in lines[1:]],
                         [["late", "NC_001416.1", "40000", "41000"], ["NC_001416.1:1-3000", "NC_001416.1", "0", "3000"]])
        np.testing.assert_array_equal(np.array([[np.float32(v) for v in l[4:]] for l in lines[1:]]), want[:2])
        _, _, err = run(*args, "--dtype", "f16", "-o", self.path("x.tsv"), LAMBDA, expect=2)
        self.assertIn("x.tsv: --dtype f16 applies to .npy/.h5 output", err)
        _, _, err = run("embed", "-m", MODEL, "-r", regions[0], "-o", self.path("x.tsv"), LAMBDA, expect=2)
        self.assertIn("x.tsv: per-base embeddings go to .npy or .h5; .tsv holds pooled vectors (--pool mean)", err)
        self.assert_only_files("p.h5", "p.npy", "h.npy", "r.bed", "p.tsv")

    def test_shards_take_consecutive_blocks_of_records(self):
        # Concatenated in shard order, the shards' outputs are the unsharded output.
        bed = os.path.join(ROOT, "data", "lambda", "lambda_windows_10kb.bed")
        run("embed", "-m", MODEL, "--pool", "mean", "-R", bed, "-o", self.path("all.tsv"), LAMBDA)
        rows = read_text(self.path("all.tsv")).splitlines()
        self.assertEqual(len(rows), 6)
        for i in (1, 2):
            run("embed", "-m", MODEL, "--pool", "mean", "-R", bed, "--shard", f"{i}/2", "-o", self.path(f"{i}.tsv"),
                LAMBDA)
        self.assertEqual(read_text(self.path("1.tsv")).splitlines(), rows[:3])
        self.assertEqual(read_text(self.path("2.tsv")).splitlines(), rows[:1] + rows[3:])
        # Per-base: the shard's regions, each as in the unsharded file.
        run("embed", "-m", MODEL, "-R", bed, "--shard", "3/3", "-o", self.path("3.h5"), LAMBDA)
        with h5py.File(self.path("3.h5")) as f:
            self.assertEqual(sorted(f.keys()), ["NC_001416.1:30001-40000", "NC_001416.1:40001-48502"])
            self.assertEqual(f["NC_001416.1:40001-48502"].shape, (8502, 128))
        # Reads are counted in a first pass; the pooled matrices stack back into the whole one.
        if os.path.exists(EX1_BAM):
            run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("reads.npy"), EX1_BAM)
            parts = []
            for i in (1, 2, 3):
                run("embed", "-m", MODEL, "--pool", "mean", "--shard", f"{i}/3", "-o", self.path(f"r{i}.npy"), EX1_BAM)
                parts.append(np.load(self.path(f"r{i}.npy")))
            self.assertLessEqual(max(len(p) for p in parts) - min(len(p) for p in parts), 1)
            np.testing.assert_array_equal(np.concatenate(parts), np.load(self.path("reads.npy")))
            for i in (1, 2, 3):
                os.remove(self.path(f"r{i}.npy"))
            os.remove(self.path("reads.npy"))
        else:
            print(f"note: {EX1_BAM} absent; sharded reads not checked", file=sys.stderr)
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-R", bed, "--shard", "6/6", "-o",
                        self.path("x.tsv"), LAMBDA, expect=2)
        self.assertIn("--shard 6/6: more shards than the 5 records of " + LAMBDA, err)
        self.assert_only_files("all.tsv", "1.tsv", "2.tsv", "3.h5")

    def test_chunks_chained_by_saved_state_equal_one_pass(self):
        # Per-base embeddings of consecutive chunks, each continuing the previous one's stream state,
        # stacked: the one-pass rows. The state a chunk of embed saves also continues predict.
        c = "NC_001416.1"
        run("embed", "-m", MODEL, "-r", f"{c}:1-30000", "-o", self.path("whole.npy"), LAMBDA)
        run("embed", "-m", MODEL, "-r", f"{c}:1-10000", "--state-out", self.path("a.state"), "-o", self.path("a.npy"),
            LAMBDA)
        run("embed", "-m", MODEL, "-r", f"{c}:10001-30000", "--state-in", self.path("a.state"), "--chunk", "3000", "-o",
            self.path("b.h5"), LAMBDA)
        whole = np.load(self.path("whole.npy"))
        with h5py.File(self.path("b.h5")) as f:
            self.assertEqual(list(f.keys()), [f"{c}:10001-30000"])
            self.assertEqual(f[f"{c}:10001-30000"].attrs["start"], 10000)
            b = f[f"{c}:10001-30000"][:]
        np.testing.assert_allclose(np.concatenate([np.load(self.path("a.npy")), b]), whole, rtol=0, atol=1e-5)
        _, out, _ = run("embed", "-m", MODEL, "-r", f"{c}:10001-30000", "--state-in", self.path("a.state"), "--pool",
                        "mean", "-o", "-", LAMBDA)
        row = out.splitlines()[1].split("\t")
        self.assertEqual(row[:4], [f"{c}:10001-30000", c, "10000", "30000"])
        np.testing.assert_allclose(np.array(row[4:], dtype=np.float64), whole[10000:].mean(0), rtol=0, atol=1e-5)
        run("predict", "-m", MODEL, "-r", f"{c}:10001-30000", "--state-in", self.path("a.state"), "-o",
            self.path("p.bedgraph"), LAMBDA)
        run("predict", "-m", MODEL, "-r", f"{c}:1-30000", "-o", self.path("w.bedgraph"), LAMBDA)
        w = np.loadtxt(self.path("w.bedgraph"), usecols=3)[-20000:]
        np.testing.assert_allclose(np.loadtxt(self.path("p.bedgraph"), usecols=3), w, rtol=0, atol=1e-5)
        if os.path.exists(EX1_BAM):
            _, _, err = run("embed", "-m", MODEL, "--state-out", self.path("x.state"), "-o", self.path("x.npy"),
                            EX1_BAM, expect=2)
            self.assertIn("--state-in/--state-out continue a contig of a FASTA file", err)
        _, _, err = run("embed", "-m", MODEL, "--rc", "-r", f"{c}:10001-30000", "--state-in", self.path("a.state"),
                        "-o", self.path("x.npy"), LAMBDA, expect=2)
        self.assertIn("--rc reads each base's right context", err)
        _, _, err = run("embed", "-m", HYENA, "-r", f"{c}:1-500", "--state-out", self.path("x.state"), "-o",
                        self.path("x.npy"), LAMBDA, expect=2)
        self.assertIn("need a streaming model (Mamba), not a hyena model", err)
        self.assert_only_files("whole.npy", "a.npy", "a.state", "b.h5", "p.bedgraph", "w.bedgraph")

    def test_many_short_records_give_the_same_vectors_for_any_thread_count(self):
        # Short records run side by side, a record per thread; a long one in between runs alone
        # with every thread on its ops. Either way the numbers are those of one record at a time.
        seq = lambda_seq()
        with open(self.path("m.fa"), "w") as f:
            for i in range(60):
                length = 20000 if i == 30 else 40 + i
                f.write(f">r{i}\n{seq[i * 500:i * 500 + length]}\n")
        for t in ("1", "2", "3"):
            run("embed", "-m", MODEL, "--pool", "mean", "--rc", "-@", t, "-o", self.path(f"m{t}.npy"),
                self.path("m.fa"))
        one = np.load(self.path("m1.npy"))
        self.assertEqual(one.shape, (60, 128))
        for t in ("2", "3"):
            np.testing.assert_array_equal(np.load(self.path(f"m{t}.npy")), one)
        run("embed", "-m", MODEL, "--rc", "-r", "r7", "-o", self.path("r7.npy"), self.path("m.fa"))
        np.testing.assert_allclose(one[7], np.load(self.path("r7.npy")).mean(axis=0), rtol=1e-5, atol=1e-6)

    def test_stdin_equals_file(self):
        import gzip
        with gzip.open(LAMBDA, "rb") as f:
            data = f.read()
        run("embed", "-m", MODEL, "-o", self.path("s.npy"), "-", stdin=data)
        run("embed", "-m", MODEL, "-o", self.path("f.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("s.npy")), np.load(self.path("f.npy")))

    def test_lowercase_and_iupac_reported_once(self):
        fa = self.path("m.fa")
        with open(fa, "w") as f:
            f.write(">s\nACGTacgtRYNNacgtACGT\n")
        _, _, err = run("embed", "-m", MODEL, "-o", self.path("o.npy"), fa)
        self.assertIn("8 soft-masked (lowercase) bases upper-cased", err)
        self.assertIn("2 IUPAC ambiguity codes mapped to N", err)
        run("embed", "-m", MODEL, "-o", self.path("u.npy"), fa.replace("m.fa", "m.fa"))
        self.assertEqual(np.load(self.path("o.npy")).shape, (20, 128))
        # --quiet: no notes and no summaries, on every command; errors are still reported.
        _, _, err = run("embed", "-m", MODEL, "--quiet", "-o", self.path("q.npy"), fa)
        self.assertEqual(err, "")
        np.testing.assert_array_equal(np.load(self.path("q.npy")), np.load(self.path("o.npy")))
        run("predict", "-m", MODEL, "-o", self.path("a.bw"), fa)
        for args in (["predict", "-m", MODEL, "--threshold", "100", "-o", self.path("q.bed"), fa],
                     ["merge", "-o", self.path("m.bw"), self.path("a.bw")],
                     ["call", "--threshold", "100", "-o", self.path("c.bed"), self.path("a.bw")]):
            _, _, loud = run(*args)
            self.assertNotEqual(loud, "", args)
            _, _, err = run(*args, "--quiet")
            self.assertEqual(err, "", args)
        _, _, err = run("embed", "-m", MODEL, "--quiet", "-r", "nope", "-o", self.path("x.npy"), fa, expect=1)
        self.assertIn("unknown contig 'nope'", err)
        _, out, _ = run("merge", "--help")
        self.assertIn("--quiet", out)

    def test_progress_json_lines(self):
        _, _, err = run("embed", "-m", MODEL, "--progress", "json", "--chunk", "5000", "-o", self.path("e.npy"), LAMBDA)
        events = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
        self.assertTrue(events and events[-1]["event"] == "done")
        self.assertEqual(events[-1]["bases_done"], 48502)

    @unittest.skipUnless(os.path.exists(ECOLI), f"skipped: {ECOLI} absent (../shared/data)")
    def test_ecoli_genes_bed(self):
        bed = self.path("genes.bed")
        with open(os.path.join(SHARED, "ecoli_k12_mg1655", "ecoli_k12_mg1655.genes.bed")) as f, open(bed, "w") as o:
            o.writelines(f.readlines()[:20])
        run("embed", "-m", MODEL, "-R", bed, "--pool", "mean", "-@", "2", "-o", self.path("g.h5"), ECOLI)
        with h5py.File(self.path("g.h5")) as f:
            self.assertEqual(len(f.keys()), 20)
            for k in f:
                self.assertEqual(f[k].shape, (128,))
                self.assertTrue(np.isfinite(f[k][:]).all())

    @unittest.skipUnless(os.path.exists(EX1_BAM), f"skipped: {EX1_BAM} absent (../shared/data)")
    def test_bam_reads_region_and_filters_match_samtools(self):
        region = "chr1:100-300"
        out = self.path("reads.h5")
        run("embed", "-m", MODEL, "-q", "30", "-r", region, "--pool", "mean", "-o", out, EX1_BAM)
        count = subprocess.run(["samtools", "view", "-c", "-q", "30", "-F", "0x900", EX1_BAM, region],
                               capture_output=True, check=True).stdout.decode().strip()
        with h5py.File(out) as f:
            self.assertEqual(len(f.keys()), int(count))


HYENA = os.path.join(ROOT, "tests", "data", "golden", "hyenadna_tiny1k_L300")  # HyenaDNA tiny, l_max 1026


def revcomp(s):
    return s[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca"))


class HyenaAndOutputOptionsTests(Tmp):
    def test_tiling_notice_no_tile_and_window_errors(self):
        _, _, err = run("embed", "-m", HYENA, "-r", "NC_001416.1:1-3000", "-o", self.path("t.npy"), LAMBDA)
        self.assertEqual(err.count("tiled into windows of 1026 bases"), 1, err)
        self.assertEqual(np.load(self.path("t.npy")).shape, (3000, 128))
        # Windows run side by side with threads; the stitched rows are bit-identical.
        run("embed", "-m", HYENA, "-r", "NC_001416.1:1-3000", "-@", "3", "-o", self.path("t3.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("t3.npy")), np.load(self.path("t.npy")))
        _, _, err = run("embed", "-m", HYENA, "-r", "NC_001416.1:1-3000", "--no-tile", "-o", self.path("n.npy"), LAMBDA,
                        expect=1)
        self.assertIn("longer than the model's limit of 1026", err)
        _, _, err = run("embed", "-m", HYENA, "--window", "5000", "-o", self.path("w.npy"), LAMBDA, expect=2)
        self.assertIn("exceeds the model's limit", err)
        # A region that fits in one window is one pass, whatever --window says.
        run("embed", "-m", HYENA, "-r", "NC_001416.1:1-900", "-o", self.path("a.npy"), LAMBDA)
        run("embed", "-m", HYENA, "-r", "NC_001416.1:1-900", "--window", "1000", "-o", self.path("b.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("a.npy")), np.load(self.path("b.npy")))
        self.assert_only_files("t.npy", "t3.npy", "a.npy", "b.npy")

    def test_exact_tiling_output_does_not_depend_on_window(self):
        outs, errs = {}, {}
        for mode in ("exact", "full"):
            for w in ("800", "1000"):
                extra = ["--exact-tiling"] if mode == "exact" else []
                _, _, err = run("embed", "-m", HYENA, "-r", "NC_001416.1:1-5000", "--window", w, "--overlap", "200",
                                *extra, "-o", self.path(f"{mode}{w}.npy"), LAMBDA)
                outs[mode, w], errs[mode] = np.load(self.path(f"{mode}{w}.npy")), err
        self.assertIn("--exact-tiling: long filters truncated", errs["exact"])
        self.assertNotIn("--exact-tiling", errs["full"])
        # Every position with >= 200 bases of context: identical up to float rounding with exact tiling...
        a, b = outs["exact", "800"][200:], outs["exact", "1000"][200:]
        self.assertLess(np.abs(a - b).max() / np.abs(b).max(), 1e-5)
        # ...while the full filters see their whole (different) windows.
        a, b = outs["full", "800"][200:], outs["full", "1000"][200:]
        self.assertGreater(np.abs(a - b).max() / np.abs(b).max(), 1e-3)
        _, _, err = run("embed", "-m", MODEL, "--exact-tiling", "-r", "NC_001416.1:1-900", "-o", self.path("m.npy"),
                        LAMBDA, expect=2)
        self.assertIn("streams exactly", err)
        _, _, err = run("embed", "-m", HYENA, "--exact-tiling", "--overlap", "1", "-o", self.path("m.npy"), LAMBDA,
                        expect=2)
        self.assertIn("too few for exact tiling", err)

    def test_rc_average_is_strand_symmetric(self):
        seq = lambda_seq()[7000:8500]
        fa = self.path("s.fa")
        with open(fa, "w") as f:
            f.write(f">fwd\n{seq}\n>rev\n{revcomp(seq)}\n")
        for model in (MODEL, HYENA):
            out = self.path("rc.h5")
            run("embed", "-m", model, "--rc", "-o", out, fa)
            with h5py.File(out) as f:
                fwd, rev = f["fwd"][:], f["rev"][:]
            np.testing.assert_allclose(fwd, rev[::-1], rtol=1e-4, atol=1e-5, err_msg=model)
            os.remove(out)

    def test_f16_and_stride(self):
        region = "NC_001416.1:2001-4000"
        run("embed", "-m", MODEL, "-r", region, "-o", self.path("f32.npy"), LAMBDA)
        run("embed", "-m", MODEL, "-r", region, "--dtype", "f16", "-o", self.path("f16.npy"), LAMBDA)
        run("embed", "-m", MODEL, "-r", region, "--dtype", "f16", "-o", self.path("f16.h5"), LAMBDA)
        run("embed", "-m", MODEL, "-r", region, "--stride", "64", "-o", self.path("s.npy"), LAMBDA)
        a, h = np.load(self.path("f32.npy")), np.load(self.path("f16.npy"))
        self.assertEqual(h.dtype, np.float16)
        np.testing.assert_array_equal(h, a.astype(np.float16))
        with h5py.File(self.path("f16.h5")) as f:
            self.assertEqual(f[region].dtype, np.float16)
            np.testing.assert_array_equal(f[region][:], h)
        s = np.load(self.path("s.npy"))
        self.assertEqual(s.shape, (32, 128))  # ceil(2000 / 64)
        np.testing.assert_allclose(s[0], a[:64].mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s[-1], a[31 * 64:].mean(0), rtol=1e-5, atol=1e-6)

    def test_hyena_predict_matches_embeddings_and_tied_head(self):
        region = "NC_001416.1:10001-10800"
        run("predict", "-m", HYENA, "-r", region, "-o", self.path("h.bedgraph"), LAMBDA)
        run("embed", "-m", HYENA, "-r", region, "-o", self.path("h.npy"), LAMBDA)
        w = read_safetensors(os.path.join(HYENA, "model.safetensors"))["backbone.embeddings.word_embeddings.weight"]
        acgt = (np.load(self.path("h.npy")).astype(np.float64) @ w.T.astype(np.float64))[:, 7:11]
        m = acgt.max(1, keepdims=True)
        logp = acgt - m - np.log(np.exp(acgt - m).sum(1, keepdims=True))
        seq = lambda_seq()[10000:10800]
        rows = [l.split("\t") for l in open(self.path("h.bedgraph"))]
        got = {}
        for r in rows:
            for p in range(int(r[1]), int(r[2])):
                got[p - 10000] = float(r[3])
        self.assertEqual(sorted(got), list(range(1, 800)))
        want = np.array([logp[i - 1, "ACGT".index(seq[i])] for i in range(1, 800)])
        np.testing.assert_allclose([got[i] for i in range(1, 800)], want, rtol=2e-4, atol=1e-5)


class ReadsTests(Tmp):
    """FASTQ, SAM and CRAM inputs: each read's sequence is one record."""

    def test_fastq(self):
        fq = self.path("r.fq")
        with open(fq, "w") as f:
            f.write("@read1\nACGTACGTTT\n+\nIIIIIIIIII\n@read2\nGGGCCCAAATTT\n+\nIIIIIIIIIIII\n")
        run("embed", "-m", MODEL, "-o", self.path("r.h5"), fq)
        with h5py.File(self.path("r.h5")) as f:
            self.assertEqual(sorted(f.keys()), ["read1", "read2"])
            self.assertEqual(f["read2"].shape, (12, 128))
        rc, _, err = run("embed", "-m", MODEL, "-r", "read1", "-o", self.path("x.h5"), fq, expect=1)
        self.assertIn("regions need a FASTA or BAM/CRAM input", err)

    @unittest.skipUnless(os.path.exists(EX1_BAM), f"skipped: {EX1_BAM} absent (../shared/data)")
    def test_sam_and_cram_equal_bam(self):
        ref = os.path.join(SHARED, "bam", "pysam_ex1", "ex1.fa")
        shutil.copy(ref, self.path("ex1.fa"))
        subprocess.run(["samtools", "view", "-h", "-o", self.path("ex1.sam"), EX1_BAM], check=True)
        subprocess.run(["samtools", "view", "-C", "-T", self.path("ex1.fa"), "-o", self.path("ex1.cram"), EX1_BAM],
                       check=True)
        subprocess.run(["samtools", "index", self.path("ex1.cram")], check=True)
        outs = {}
        for name, extra in (("bam", [EX1_BAM]), ("sam", [self.path("ex1.sam")]),
                            ("cram", ["-T", self.path("ex1.fa"), self.path("ex1.cram")])):
            out = self.path(name + ".h5")
            run("embed", "-m", MODEL, "--pool", "mean", "-q", "20", "-r", "chr2:500-700", "-o", out, *extra) \
                if name != "sam" else \
                run("embed", "-m", MODEL, "--pool", "mean", "-q", "20", "-o", out, *extra)
            with h5py.File(out) as f:
                outs[name] = {k: f[k][:] for k in f}
        self.assertGreater(len(outs["bam"]), 0)
        self.assertEqual(sorted(outs["bam"]), sorted(outs["cram"]))
        for k, v in outs["bam"].items():
            np.testing.assert_array_equal(v, outs["cram"][k])
            np.testing.assert_array_equal(v, outs["sam"][k])  # SAM (whole file) holds the same reads

    @unittest.skipUnless(os.path.exists(EX1_BAM), f"skipped: {EX1_BAM} absent (../shared/data)")
    def test_index_elsewhere_as_samtools_idx(self):
        """IN.bam##idx##OTHER.bai: the index at another place, as samtools and HTSlib take it."""
        os.mkdir(self.path("data"))
        os.mkdir(self.path("indexes"))
        shutil.copy(EX1_BAM, self.path("data/ex1.bam"))
        shutil.copy(EX1_BAM + ".bai", self.path("indexes/ex1.bai"))
        args = ["embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv"]
        _, want, _ = run(*args, EX1_BAM, "chr2:500-700")
        _, got, _ = run(*args, self.path("data/ex1.bam") + "##idx##" + self.path("indexes/ex1.bai"), "chr2:500-700")
        self.assertEqual(got, want)
        self.assertGreater(len(got.splitlines()), 5)
        _, _, err = run(*args, self.path("data/ex1.bam"), "chr2:500-700", expect=1)
        self.assertIn("no index (.bai/.csi/.crai)", err)
        _, _, err = run(*args, self.path("data/ex1.bam") + "##idx##" + self.path("indexes/none.bai"), expect=1)
        self.assertIn("index " + self.path("indexes/none.bai") + ": no such file", err)
        _, _, err = run(*args, LAMBDA + "##idx##" + self.path("indexes/ex1.bai"), expect=2)
        self.assertIn("##idx## names the index of a SAM/BAM/CRAM file", err)


class PredictTests(Tmp):
    def test_bigwig_loglik_matches_numpy_from_embeddings(self):
        bw_path, emb = self.path("l.bw"), self.path("h.npy")
        region = "NC_001416.1:20001-22000"
        run("predict", "-m", MODEL, "--track", "loglik", "-r", region, "-o", bw_path, LAMBDA)
        run("embed", "-m", MODEL, "-r", region, "-o", emb, LAMBDA)
        w = read_safetensors(os.path.join(MODEL, "model.safetensors"))["embedding.weight"]
        logits = np.load(emb).astype(np.float64) @ w.T.astype(np.float64)
        acgt = logits[:, 7:11]
        logp = acgt - np.log(np.exp(acgt - acgt.max(1, keepdims=True)).sum(1, keepdims=True)) - acgt.max(1, keepdims=True)
        seq = lambda_seq()[20000:22000]
        want = np.array([logp[i - 1, "ACGT".index(seq[i])] for i in range(1, len(seq))])
        bw = pyBigWig.open(bw_path)
        self.assertEqual(bw.chroms(), {"NC_001416.1": 48502})
        got = np.array(bw.values("NC_001416.1", 20000, 22000))
        self.assertTrue(np.isnan(got[0]), "first base has no left context")
        np.testing.assert_allclose(got[1:], want, rtol=1e-4, atol=1e-5)
        self.assertTrue((got[1:] <= 0).all())
        # Thresholded calls of the same track: the runs of bases the track puts at or below -1.8.
        calls = self.path("low.bed")
        run("predict", "-m", MODEL, "-r", region, "--threshold", "-1.8", "--below", "--merge-gap", "2",
            "--min-length", "4", "-o", calls, LAMBDA)
        lines = read_text(calls).splitlines()
        self.assertGreater(len(lines), 5)
        self.assertEqual(lines, expected_calls("NC_001416.1", 20000, got, -1.8, below=True, merge_gap=2,
                                               min_length=4, name="loglik"))

    def test_several_tracks_in_one_pass(self):
        region = ["-r", "NC_001416.1:3001-7000"]
        for name in ("loglik", "entropy"):
            run("predict", "-m", MODEL, *region, "--rc", "--track", name, "-o", self.path(f"one.{name}.bw"), LAMBDA)
        run("predict", "-m", MODEL, *region, "--rc", "--track", "loglik,entropy", "-o", self.path("two.{track}.bw"),
            LAMBDA)
        run("predict", "-m", MODEL, *region, "--rc", "--track", "all", "-o", self.path("all_{track}.bedgraph"), LAMBDA)
        for name in ("loglik", "entropy"):
            with pyBigWig.open(self.path(f"one.{name}.bw")) as a, pyBigWig.open(self.path(f"two.{name}.bw")) as b:
                want = np.array(a.values("NC_001416.1", 3000, 7000))
                np.testing.assert_array_equal(np.array(b.values("NC_001416.1", 3000, 7000)), want)
            got = np.loadtxt(self.path(f"all_{name}.bedgraph"), usecols=3)
            np.testing.assert_allclose(got, want[~np.isnan(want)], rtol=1e-6)  # bedGraph's printed digits
        # One track per file: several need {track} in -o; BED calls take one; nothing is left behind.
        self.expect_usage(["predict", "-m", MODEL, *region, "--track", "loglik,entropy", "-o", self.path("x.bw"),
                           LAMBDA], "put {track} in -o")
        self.expect_usage(["predict", "-m", MODEL, *region, "--track", "loglik,entropy", "--threshold", "-1",
                           "-o", self.path("{track}.bed"), LAMBDA], "BED calls take one track")
        self.expect_usage(["predict", "-m", MODEL, *region, "--track", "loglik,entropy", "-o", "-", LAMBDA],
                          "put {track} in -o")
        self.expect_usage(["predict", "-m", MODEL, *region, "--track", "loglik,loglik", "-o", self.path("{track}.bw"),
                           LAMBDA], "loglik is named twice")
        self.expect_usage(["predict", "-m", MODEL, *region, "--track", "loglik,p_1", "-o", self.path("{track}.bw"),
                           LAMBDA], "(loglik, entropy, prob)")
        # prob is the observed base's probability, exp(loglik) (on one strand: --rc averages probabilities).
        run("predict", "-m", MODEL, *region, "--track", "loglik,prob", "-o", self.path("lp.{track}.bw"), LAMBDA)
        with pyBigWig.open(self.path("lp.loglik.bw")) as a, pyBigWig.open(self.path("lp.prob.bw")) as b:
            loglik = np.array(a.values("NC_001416.1", 3000, 7000))
            prob = np.array(b.values("NC_001416.1", 3000, 7000))
        np.testing.assert_array_equal(np.isnan(prob), np.isnan(loglik))
        np.testing.assert_allclose(prob[~np.isnan(prob)], np.exp(loglik[~np.isnan(loglik)]), rtol=1e-6)
        self.assertTrue(((prob[~np.isnan(prob)] > 0) & (prob[~np.isnan(prob)] < 1)).all())
        self.assert_only_files("one.loglik.bw", "one.entropy.bw", "two.loglik.bw", "two.entropy.bw",
                               "all_loglik.bedgraph", "all_entropy.bedgraph", "all_prob.bedgraph",
                               "lp.loglik.bw", "lp.prob.bw")

    def expect_usage(self, args, needle):
        _, _, err = run(*args, expect=2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(needle, err)

    def test_standard_output_for_text_formats(self):
        region = ["-r", "NC_001416.1:2001-2600"]
        run("predict", "-m", MODEL, *region, "-o", self.path("t.bedgraph"), LAMBDA)
        _, out, _ = run("predict", "-m", MODEL, *region, "-o", "-", LAMBDA)
        self.assertEqual(out, read_text(self.path("t.bedgraph")))
        calls = ["--threshold", "-1.5", "--below"]
        run("predict", "-m", MODEL, *region, *calls, "-o", self.path("c.bed"), LAMBDA)
        _, out, _ = run("predict", "-m", MODEL, *region, *calls, "-o", "-", "-O", "bed", LAMBDA)
        self.assertEqual(out, read_text(self.path("c.bed")))
        self.assertTrue(out)
        # -O names the format of a file whose name does not; a >> redirect is appended to.
        run("predict", "-m", MODEL, *region, "-O", "bedGraph", "-o", self.path("t.txt"), LAMBDA)
        self.assertEqual(read_text(self.path("t.txt")), read_text(self.path("t.bedgraph")))
        with open(self.path("log.txt"), "w") as f:
            f.write("kept\n")
        subprocess.run(f"{DNASSM} predict -m {MODEL} {' '.join(region)} -o - {LAMBDA} >> {self.path('log.txt')}",
                       shell=True, check=True)
        self.assertEqual(read_text(self.path("log.txt")), "kept\n" + read_text(self.path("t.bedgraph")))
        run("embed", "-m", MODEL, *region, "--pool", "mean", "-o", self.path("p.tsv"), LAMBDA)
        _, out, _ = run("embed", "-m", MODEL, *region, "--pool", "mean", "-o", "-", LAMBDA)
        self.assertEqual(out, read_text(self.path("p.tsv")))
        _, _, err = run("embed", "-m", MODEL, *region, "-o", "-", LAMBDA, expect=2)
        self.assertIn("per-base embeddings are binary (.npy, .h5) and need a file name", err)
        _, _, err = run("predict", "-m", MODEL, *region, "-o", "-", "-O", "bw", LAMBDA, expect=2)
        self.assertIn("standard output takes text formats (bedgraph, bed, tsv, vcf), not bw", err)
        # A write that fails (here: no space left) is an error, not a silently short output.
        with open("/dev/full", "w") as full:
            p = subprocess.run([DNASSM, "predict", "-m", MODEL, *region, "-o", "-", LAMBDA], stdout=full,
                               stderr=subprocess.PIPE, timeout=600)
        self.assertEqual(p.returncode, 1)
        self.assertIn("standard output: write failed (disk full?)", p.stderr.decode())
        self.assert_only_files("t.bedgraph", "c.bed", "t.txt", "log.txt", "p.tsv")

    def test_merge_streams_chunks_opening_few_at_a_time(self):
        # 300 chunk bigWigs, each with every contig in its header, merged with at most 32 files open:
        # each chunk is opened when the merge reaches it and closed after its last value. One chunk
        # interleaves with another (A: 0-10 and 20-30, B: 10-20 and 30-100), which a merge by position takes.
        import pyBigWig
        import resource
        rng = np.random.default_rng(7)
        want = rng.random(300 * 50).astype(np.float32)
        names = []
        for k in range(300):
            name = self.path(f"c{k:03d}.bw")
            with pyBigWig.open(name, "w") as bw:
                bw.addHeader([("chrA", 20000), ("chrB", 100), ("chrC", 100)])
                if k == 0:
                    bw.addEntries("chrA", 0, values=want[0:10].astype(np.float64), span=1, step=1)
                    bw.addEntries("chrA", 20, values=want[20:30].astype(np.float64), span=1, step=1)
                elif k == 1:
                    bw.addEntries("chrA", 10, values=want[10:20].astype(np.float64), span=1, step=1)
                    bw.addEntries("chrA", 30, values=want[30:100].astype(np.float64), span=1, step=1)
                else:
                    bw.addEntries("chrA", 50 * k, values=want[50 * k:50 * k + 50].astype(np.float64), span=1,
                                  step=1)
                if k == 299:
                    bw.addEntries("chrC", 0, values=[1.5, 2.5], span=1, step=1)
            names.append(name)
        few_files = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
        p = subprocess.run([DNASSM, "merge", "-o", self.path("m.bw"), *names[::-1]], capture_output=True,
                           preexec_fn=few_files, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        with pyBigWig.open(self.path("m.bw")) as bw:
            self.assertEqual(bw.chroms(), {"chrA": 20000, "chrC": 100})  # contigs with values only
            np.testing.assert_array_equal(np.array(bw.values("chrA", 0, 15000), dtype=np.float32), want)
            self.assertEqual(bw.values("chrC", 0, 3)[:2], [1.5, 2.5])
        p = subprocess.run([DNASSM, "call", "--threshold", "0", "-o", "-", *names], capture_output=True,
                           preexec_fn=few_files, timeout=600)
        self.assertEqual(p.stdout.decode(), "chrA\t0\t15000\tcall\t0\t.\nchrC\t0\t2\tcall\t0\t.\n")
        for name in names:
            os.remove(name)
        self.assert_only_files("m.bw")

    def test_call_from_tracks_and_pipeline_chunks(self):
        # Calls from two chunks computed apart (--context -1: exact) equal predict's calls over the whole.
        opts = ["--threshold", "-1.6", "--below", "--merge-gap", "3", "--min-length", "5"]
        run("predict", "-m", MODEL, "-r", "NC_001416.1:1001-9000", "--context", "-1", *opts, "-o",
            self.path("whole.bed"), LAMBDA)
        for name, region in (("a", "NC_001416.1:1001-5000"), ("b", "NC_001416.1:5001-9000")):
            run("predict", "-m", MODEL, "-r", region, "--context", "-1", "-o", self.path(name + ".bw"), LAMBDA)
        _, _, err = run("call", *opts, "--name", "loglik", "-o", self.path("chunks.bed"), self.path("b.bw"),
                        self.path("a.bw"))
        whole = read_text(self.path("whole.bed"))
        self.assertGreater(len(whole.splitlines()), 20)
        self.assertEqual(read_text(self.path("chunks.bed")), whole)
        _, out, _ = run("call", *opts, "--name", "loglik", "-o", "-", self.path("a.bw"), self.path("b.bw"))
        self.assertEqual(out, whole)
        # A bedGraph on standard input, as from `dnassm predict -o - ... | dnassm call ... -`.
        _, graph, _ = run("predict", "-m", MODEL, "-r", "NC_001416.1:1001-9000", "--context", "-1", "-o", "-",
                          LAMBDA)
        _, out, _ = run("call", *opts, "--name", "loglik", "-o", "-", "-", stdin=graph.encode())
        self.assertEqual(out, whole)
        _, _, err = run("call", "-o", self.path("x.bed"), self.path("a.bw"), expect=2)
        self.assertIn("--threshold is required", err)
        _, _, err = run("call", "--threshold", "0", "-o", self.path("x.bed"), self.path("a.bw"), self.path("a.bw"),
                        expect=1)
        self.assertIn("a.bw both cover NC_001416.1:1001 (chunks must not overlap)", err)
        with open(self.path("o.bedgraph"), "w") as f:
            f.write("NC_001416.1\t0\t100\t1\nNC_001416.1\t50\t150\t2\n")
        for cmd, out in ((["call", "--threshold", "0"], "x.bed"), (["merge"], "x.bedgraph")):
            _, _, err = run(*cmd, "-o", self.path(out), self.path("o.bedgraph"), expect=1)
            self.assertIn("o.bedgraph: two intervals cover NC_001416.1:51 (a track's intervals must not overlap)",
                          err)
        # A long interval at one value (a whole contig) is handed on in pieces: one call, one bedGraph line.
        with open(self.path("o.bedgraph"), "w") as f:
            f.write("track type=bedGraph\nchr1 0 200000000 0.5\nchr1\t200000000\t200000010\t0.5\r\n"
                    "chr1\t200000010\t200000011\tnan\n")
        _, out, _ = run("call", "--threshold", "0", "-o", "-", self.path("o.bedgraph"))
        self.assertEqual(out, "chr1\t0\t200000010\tcall\t0\t.\n")
        _, out, err = run("merge", "-o", "-", self.path("o.bedgraph"))
        self.assertEqual(out, "chr1\t0\t200000010\t0.5\n")
        self.assertIn("wrote standard output from 1 chunk(s)", err)
        with open(self.path("o.bedgraph"), "w") as f:
            f.write("chr1\t0\t99999999999\t1\n")
        _, _, err = run("call", "--threshold", "0", "-o", self.path("x.bed"), self.path("o.bedgraph"), expect=1)
        self.assertIn("o.bedgraph: line 1: end 99999999999 is past 4294967295", err)
        os.remove(self.path("o.bedgraph"))
        self.assert_only_files("whole.bed", "a.bw", "b.bw", "chunks.bed")

    def test_chunks_chained_by_saved_state_equal_one_pass(self):
        # Each chunk continues from the state the previous one saved: merged, they are the one-pass
        # track at every base, chunk starts included; a state also carries across a skipped chunk.
        import pyBigWig
        c = "NC_001416.1"
        run("predict", "-m", MODEL, "-o", self.path("whole.bw"), LAMBDA)
        chunks = [("a", "1-12000", [], ["--state-out", self.path("a.state")]),
                  ("b", "12001-30000", ["--state-in", self.path("a.state")], ["--state-out", self.path("b.state")]),
                  ("c", "30001-48502", ["--state-in", self.path("b.state")], [])]
        for name, span, state_in, state_out in chunks:
            run("predict", "-m", MODEL, "-r", f"{c}:{span}", "--chunk", "5000", *state_in, *state_out,
                "-o", self.path(name + ".bw"), LAMBDA)
        run("merge", "-o", self.path("merged.bw"), self.path("a.bw"), self.path("b.bw"), self.path("c.bw"))
        _, out, _ = run("info", self.path("b.state"))
        self.assertIn(f"continues:    {c} at base 30000", out)
        self.assertIn(f"model:        {MODEL} (weights ", out)
        run("predict", "-m", MODEL, "-r", f"{c}:30001-48502", "--state-in", self.path("a.state"), "-o",
            self.path("skip.bw"), LAMBDA)

        def values(name, beg=0, end=48502):
            with pyBigWig.open(self.path(name)) as bw:
                return np.array(bw.values(c, beg, end), dtype=np.float64)

        whole, merged = values("whole.bw"), values("merged.bw")
        self.assertTrue(np.isnan(merged[0]))  # the contig's first base: no left context
        self.assertFalse(np.isnan(merged[1:]).any())  # chunk starts have their value
        np.testing.assert_allclose(merged, whole, rtol=0, atol=1e-5)
        np.testing.assert_allclose(values("skip.bw", 30000), whole[30000:], rtol=0, atol=1e-5)
        # A fresh start at the chunk differs: the state is what makes them equal.
        run("predict", "-m", MODEL, "-r", f"{c}:30001-48502", "-o", self.path("fresh.bw"), LAMBDA)
        self.assertGreater(np.nanmean(np.abs(values("fresh.bw", 30000, 31000) - whole[30000:31000])), 1e-3)

        def refused(expect, needle, *args):
            _, _, err = run("predict", "-m", MODEL, *args, "-o", self.path("x.bw"), LAMBDA, expect=expect)
            self.assertIn(needle, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

        refused(1, "b.state: continues NC_001416.1 at base 30000, after this region's start (12001); run the chunks "
                   "in order", "-r", f"{c}:12001-20000", "--state-in", self.path("b.state"))
        refused(1, "whole.bw: not a valid safetensors file", "-r", f"{c}:12001-20000", "--state-in",
                self.path("whole.bw"))
        refused(2, "--rc reads each base's right context", "--rc", "-r", f"{c}:12001-20000", "--state-in",
                self.path("a.state"))
        refused(2, "give one region (-r)", "-r", f"{c}:1-100", "-r", f"{c}:201-300", "--state-out",
                self.path("y.state"))
        refused(2, "give --context or --state-in, not both", "-r", f"{c}:12001-20000", "--context", "100",
                "--state-in", self.path("a.state"))
        refused(2, "--window tiles the model", "-r", f"{c}:12001-20000", "--window", "4000", "--state-in",
                self.path("a.state"))
        _, _, err = run("predict", "-m", GOLDEN_MODEL, "-r", f"{c}:12001-20000", "--state-in", self.path("a.state"),
                        "-o", self.path("x.bw"), LAMBDA, expect=1)
        self.assertIn("a.state: saved by another model", err)
        _, _, err = run("predict", "-m", HYENA, "-r", f"{c}:1-500", "--state-out", self.path("y.state"), "-o",
                        self.path("x.bw"), LAMBDA, expect=2)
        self.assertIn("need a streaming model (Mamba)", err)
        # An unwritable state fails the run before it starts, and leaves no track either.
        refused(1, "nowhere/s.state: output folder", "-r", f"{c}:1-20000", "--state-out",
                self.path("nowhere/s.state"))
        with open(self.path("two.fa"), "w") as f:
            f.write(">other\n" + lambda_seq()[:20000] + "\n")
        _, _, err = run("predict", "-m", MODEL, "-r", "other:12001-15000", "--state-in", self.path("a.state"), "-o",
                        self.path("x.bw"), self.path("two.fa"), expect=1)
        self.assertIn("a.state: a state of NC_001416.1, not of other", err)
        self.assert_only_files("whole.bw", "a.bw", "b.bw", "c.bw", "merged.bw", "skip.bw", "fresh.bw", "a.state",
                               "b.state", "two.fa", "two.fa.fai")

    def test_shards_of_the_bases_gather_to_one_run(self):
        # --shard I/N: equal consecutive pieces of the regions' bases (cut inside regions), which
        # `merge` gathers into the unsharded track (--context -1: each piece exact).
        import pyBigWig
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t30000\t48502\nNC_001416.1\t100\t9000\nNC_001416.1\t12000\t20000\n")
        run("predict", "-m", MODEL, "-R", self.path("r.bed"), "--context", "-1", "-o", self.path("whole.bw"), LAMBDA)
        pieces = []
        for i in (1, 2, 3, 4):
            run("predict", "-m", MODEL, "-R", self.path("r.bed"), "--shard", f"{i}/4", "--context", "-1", "-o",
                self.path(f"s{i}.bw"), LAMBDA)
            with pyBigWig.open(self.path(f"s{i}.bw")) as bw:
                iv = bw.intervals("NC_001416.1")
                pieces.append(sum(e - b for b, e, _ in iv))
        self.assertEqual(sum(pieces), 18502 + 8900 + 8000)  # every base has its value (context)
        self.assertLessEqual(max(pieces) - min(pieces), 2)
        run("merge", "-o", self.path("merged.bw"), *[self.path(f"s{i}.bw") for i in (4, 2, 3, 1)])
        with pyBigWig.open(self.path("whole.bw")) as a, pyBigWig.open(self.path("merged.bw")) as b:
            x = np.array(a.values("NC_001416.1", 0, 48502))
            y = np.array(b.values("NC_001416.1", 0, 48502))
        self.assertEqual(int(np.sum(~np.isnan(y))), sum(pieces))
        ok = ~np.isnan(x)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        np.testing.assert_allclose(y[ok], x[ok], rtol=0, atol=1e-5)
        for spec, needle in (("0/4", "shards are numbered 1 to 4"), ("5/4", "shards are numbered 1 to 4"),
                             ("2", "'2' is not I/N"), ("1/-2", "'1/-2' is not I/N")):
            _, _, err = run("predict", "-m", MODEL, "--shard", spec, "-o", self.path("x.bw"), LAMBDA, expect=2)
            self.assertIn("--shard", err)
            self.assertIn(needle, err)
        _, _, err = run("predict", "-m", MODEL, "-r", "NC_001416.1:1-3", "--shard", "4/4", "-o", self.path("x.bw"),
                        LAMBDA, expect=2)
        self.assertIn("--shard 4/4: more shards than the 3 bases to run", err)
        _, _, err = run("predict", "-m", MODEL, "--shard", "1/2", "--state-out", self.path("x.state"), "-o",
                        self.path("x.bw"), LAMBDA, expect=2)
        self.assertIn("--shard cuts the regions itself", err)
        self.assert_only_files("r.bed", "whole.bw", "s1.bw", "s2.bw", "s3.bw", "s4.bw", "merged.bw")

    def test_many_short_regions_same_track_for_any_thread_count(self):
        # Short regions run side by side, a region per thread; the track is the same as one at a time.
        with open(self.path("r.bed"), "w") as f:
            for i in range(80):
                f.write(f"NC_001416.1\t{i * 600}\t{i * 600 + 250 + i}\tp{i}\n")
        for t in ("1", "2"):
            run("predict", "-m", MODEL, "--rc", "-R", self.path("r.bed"), "-@", t, "-o", self.path(f"t{t}.bedgraph"),
                LAMBDA)
        one = read_text(self.path("t1.bedgraph"))
        self.assertGreater(len(one.splitlines()), 80 * 200)
        self.assertEqual(read_text(self.path("t2.bedgraph")), one)

    def test_call_option_errors(self):
        bed, bw = self.path("c.bed"), self.path("c.bw")
        _, _, err = run("predict", "-m", MODEL, "-o", bed, LAMBDA, expect=2)
        self.assertIn("calls on the loglik track need a threshold", err)
        _, _, err = run("predict", "-m", MODEL, "--merge-gap", "5", "-o", bw, LAMBDA, expect=2)
        self.assertIn("--merge-gap applies to thresholded calls (-o OUT.bed)", err)
        _, _, err = run("predict", "-m", MODEL, "--threshold", "-1", "--min-length", "0", "-o", bed, LAMBDA, expect=2)
        self.assertIn("--min-length must be >= 1", err)
        _, _, err = run("predict", "-m", MODEL, "-r", "NC_001416.1:1-300", "--threshold", "1", "-o", bed, LAMBDA)
        self.assertIn("no base passed the threshold (loglik >= 1); the BED file is empty", err)
        self.assertEqual(read_text(bed), "")
        os.remove(bed)
        self.assert_only_files()

    def test_entropy_bedgraph_and_merged_regions(self):
        out = self.path("e.bedgraph")
        run("predict", "-m", MODEL, "--track", "entropy", "-r", "NC_001416.1:501-600", "-r",
            "NC_001416.1:101-200", "-r", "NC_001416.1:150-250", "-o", out, LAMBDA)
        rows = [l.split("\t") for l in open(out)]
        starts = [int(r[1]) for r in rows]
        self.assertEqual(starts, sorted(starts), "bedGraph must be sorted")
        self.assertEqual(int(rows[0][1]), 101)       # merged 101-250: first predicted base is the 2nd
        self.assertEqual(int(rows[-1][2]), 600)
        covered = sum(int(r[2]) - int(r[1]) for r in rows)
        self.assertEqual(covered, (250 - 100 - 1) + (600 - 500 - 1))
        for r in rows:
            self.assertTrue(0.0 <= float(r[3]) <= np.log(4) + 1e-6)

    def test_whole_genome_bigwig_readable(self):
        out = self.path("g.bw")
        run("predict", "-m", MODEL, "-@", "2", "-o", out, LAMBDA)
        bw = pyBigWig.open(out)
        self.assertTrue(bw.isBigWig())
        vals = np.array(bw.values("NC_001416.1", 0, 48502))
        self.assertEqual(np.isnan(vals).sum(), 1)


class PretrainTests(Tmp):
    def test_pretrain_logs_saves_and_resumes_bit_for_bit(self):
        init = self.path("init")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "data", "models", "make_random_mamba.py"), init, "32",
                        "2"], check=True)
        args = ["pretrain", "-m", init, "--fasta", LAMBDA, "--window", "128", "--batch", "2", "--steps", "12",
                "--eval-every", "6", "--save-every", "6", "--warmup", "3", "--val-bases", "2000", "--progress",
                "none"]
        run(*args, "-o", self.path("a"))
        run(*args, "-o", self.path("b"), "--stop-at", "5")
        self.assertFalse(os.path.exists(os.path.join(self.path("b"), "model.safetensors")))
        run(*args, "-o", self.path("b"), "--resume")
        with open(os.path.join(self.path("a"), "model.safetensors"), "rb") as fa, \
                open(os.path.join(self.path("b"), "model.safetensors"), "rb") as fb:
            self.assertEqual(fa.read(), fb.read(), "resumed run differs from the uninterrupted one")
        log = [json.loads(l) for l in read_text(os.path.join(self.path("a"), "train_log.jsonl")).splitlines()]
        self.assertEqual([e["step"] for e in log], [6, 12])
        self.assertTrue(all(0.5 < e["val_bits_per_base"] < 3.0 for e in log))
        _, out, _ = run("info", self.path("a"))
        self.assertIn("dnassm pretrain", out)
        run("embed", "-m", self.path("a"), "-r", "NC_001416.1:1-500", "-o", self.path("e.npy"), LAMBDA)
        self.assertEqual(np.load(self.path("e.npy")).shape, (500, 32))

    def test_pretrain_on_each_cpu_backend_and_device_errors(self):
        init = self.path("init")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "data", "models", "make_random_mamba.py"), init, "16",
                        "1"], check=True)
        args = ["pretrain", "-m", init, "--fasta", LAMBDA, "--window", "64", "--batch", "1", "--steps", "3",
                "--eval-every", "3", "--save-every", "3", "--warmup", "1", "--val-bases", "500", "--progress", "none"]
        run(*args, "-o", self.path("fast"), "--device", "cpu")
        run(*args, "-o", self.path("ref"), "--device", "cpu-ref")  # the double-precision oracle ops
        emb = {}
        for name in ("fast", "ref"):
            run("embed", "-m", self.path(name), "-r", "NC_001416.1:1-300", "-o", self.path(name + ".npy"), LAMBDA)
            emb[name] = np.load(self.path(name + ".npy"))
        rel = np.linalg.norm(emb["fast"] - emb["ref"]) / np.linalg.norm(emb["ref"])
        self.assertLess(rel, 1e-4)
        # --bf16 autocast: close to fp32 training, not the same, and said so in the provenance
        run(*args, "-o", self.path("bf16"), "--device", "cpu", "--bf16")
        run("embed", "-m", self.path("bf16"), "-r", "NC_001416.1:1-300", "-o", self.path("bf16.npy"), LAMBDA)
        rel16 = np.linalg.norm(np.load(self.path("bf16.npy")) - emb["fast"]) / np.linalg.norm(emb["fast"])
        self.assertGreater(rel16, 0)
        self.assertLess(rel16, 1e-2)
        with open(os.path.join(self.path("bf16"), "config.json")) as f:
            self.assertTrue(json.load(f)["provenance"]["bf16_autocast"])
        code, _, err = run(*args, "-o", self.path("x"), "--device", "tpu", expect=2)
        self.assertIn("tpu", err)
        _, version, _ = run("--version")
        backends = next(l for l in version.splitlines() if l.startswith("backends:"))
        if "cuda" not in backends:  # no GPU here: a clear one-line refusal, nothing written
            code, _, err = run(*args, "-o", self.path("g"), "--device", "cuda", expect=2)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertFalse(os.path.exists(os.path.join(self.path("g"), "model.safetensors")))

    def test_hyena_pretrain_resumes_bit_for_bit_and_window_limit(self):
        init = self.path("init")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "data", "models", "make_random_hyena.py"), init, "32",
                        "2", "258"], check=True)
        args = ["pretrain", "-m", init, "--fasta", LAMBDA, "--window", "256", "--batch", "2", "--steps", "8",
                "--eval-every", "4", "--save-every", "4", "--warmup", "2", "--val-bases", "2000", "--progress",
                "none", "--lr", "3e-3"]
        run(*args, "-o", self.path("a"))
        run(*args, "-o", self.path("b"), "--stop-at", "3")
        run(*args, "-o", self.path("b"), "--resume")
        self.assertEqual(read_bytes(os.path.join(self.path("a"), "model.safetensors")),
                         read_bytes(os.path.join(self.path("b"), "model.safetensors")))
        log = [json.loads(l) for l in read_text(os.path.join(self.path("a"), "train_log.jsonl")).splitlines()]
        self.assertEqual([e["step"] for e in log], [4, 8])
        self.assertTrue(all(1.5 < e["val_bits_per_base"] < 2.2 for e in log), log)
        _, out, _ = run("info", self.path("a"))
        self.assertIn("hyena", out)
        run("predict", "-m", self.path("a"), "-r", "NC_001416.1:1-600", "--track", "loglik", "-o",
            self.path("t.bedgraph"), LAMBDA)
        code, _, err = run("pretrain", "-m", init, "--fasta", LAMBDA, "--window", "1000", "-o", self.path("c"),
                           expect=2)
        self.assertIn("--window 1000 is longer than the model's 258 bases", err)

    def test_caduceus_masked_pretrain_resumes_bit_for_bit(self):
        for variant in ([], ["--ph"]):
            init = self.path("init" + "".join(variant))
            subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "data", "models", "make_random_caduceus.py"), init,
                            *variant, "32", "2"], check=True)
            args = ["pretrain", "-m", init, "--fasta", LAMBDA, "--window", "256", "--batch", "2", "--steps", "8",
                    "--eval-every", "4", "--save-every", "4", "--warmup", "2", "--val-bases", "3000", "--progress",
                    "none", "--lr", "3e-3"]
            a, b = self.path("a" + "".join(variant)), self.path("b" + "".join(variant))
            _, _, err = run(*args, "-o", a)
            self.assertIn("bits/base (masked bases)", err)
            run(*args, "-o", b, "--stop-at", "3")
            run(*args, "-o", b, "--resume", "--recompute")  # recomputed activations: the same bits
            self.assertEqual(read_bytes(os.path.join(a, "model.safetensors")),
                             read_bytes(os.path.join(b, "model.safetensors")))
            log = [json.loads(l) for l in read_text(os.path.join(a, "train_log.jsonl")).splitlines()]
            self.assertEqual([e["step"] for e in log], [4, 8])
            self.assertTrue(all(1.5 < e["val_bits_per_base"] < 2.05 for e in log), log)
            self.assertTrue(all(e["train_loss"] < math.log(16) for e in log), log)
            config = load_json(os.path.join(a, "config.json"))
            self.assertEqual(config["model_type"], "caduceus")
            self.assertEqual(config["rcps"], not variant)
            self.assertIn("80 % [MASK]", config["provenance"]["objective"])
            self.assertNotEqual(read_bytes(os.path.join(a, "model.safetensors")),
                                read_bytes(os.path.join(init, "model.safetensors")))
            run("embed", "-m", a, "-r", "NC_001416.1:1-500", "-o", self.path("e.npy"), LAMBDA)
            self.assertEqual(np.load(self.path("e.npy")).shape, (500, 32 if variant else 64))
            run("predict", "-m", a, "-r", "NC_001416.1:1-300", "--track", "loglik", "-o", self.path("t.bedgraph"),
                LAMBDA)


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


class FinetuneTests(Tmp):
    def write_csv(self, name, rows):
        with open(self.path(name), "w") as f:
            f.write("sequence,label\n")
            for seq, y in rows:
                f.write(f"{seq},{y}\n")
        return self.path(name)

    def gc_rows(self, rng, n):
        ys = rng.integers(0, 2, size=n)
        return [(random_dna(rng, 60, 0.7 if y else 0.3), int(y)) for y in ys]

    def test_classify_learns_under_bf16_autocast(self):
        rng = np.random.default_rng(1)
        train = self.write_csv("train.csv", self.gc_rows(rng, 240))
        val = self.write_csv("val.csv", self.gc_rows(rng, 60))
        out = self.path("tuned16")
        run("finetune", "-m", MODEL, "--task", "classify", "--train", train, "--val", val, "--epochs", "3",
            "--batch", "8", "--lr", "3e-3", "--warmup", "5", "--bf16", "-o", out, "--progress", "none")
        self.assertGreater(load_json(os.path.join(out, "metrics.json"))["val"]["accuracy"], 0.9)
        self.assertTrue(load_json(os.path.join(out, "config.json"))["provenance"]["bf16_autocast"])

    def test_classify_csv_learns_and_predict_tsv_agrees_with_validation(self):
        rng = np.random.default_rng(1)
        train = self.write_csv("train.csv", self.gc_rows(rng, 240))
        val_rows = self.gc_rows(rng, 60)
        val = self.write_csv("val.csv", val_rows)
        out = self.path("tuned")
        _, _, err = run("finetune", "-m", MODEL, "--task", "classify", "--train", train, "--val", val,
                        "--epochs", "3", "--batch", "8", "--lr", "3e-3", "--warmup", "5", "-o", out,
                        "--progress", "none")
        self.assertIn("AUROC", err)
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["accuracy"], 0.9, metrics)
        self.assertGreater(metrics["auroc"], 0.95, metrics)
        cfg = load_json(os.path.join(out, "config.json"))
        self.assertEqual(cfg["task_head"]["task"], "classify")
        _, info, _ = run("info", out)
        self.assertIn("task head:   classify, 2 classes\npredicts:    a row per sequence (-o OUT.tsv): p_0 p_1\n", info)
        self.assertEqual(cfg["task_head"]["classes"], ["0", "1"])
        head = read_safetensors(os.path.join(out, "head.safetensors"))
        self.assertEqual(head["head.weight"].shape, (2, 128))
        log = [json.loads(l) for l in read_text(os.path.join(out, "finetune_log.jsonl")).splitlines()]
        self.assertEqual(len(log), 3)  # one validation per epoch
        # The backbone was trained too.
        self.assertFalse(np.array_equal(read_safetensors(os.path.join(out, "model.safetensors"))["embedding.weight"],
                                        read_safetensors(os.path.join(MODEL, "model.safetensors"))["embedding.weight"]))

        run("predict", "-m", out, "-o", self.path("p.tsv"), val)
        lines = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(lines[0].split("\t"), ["id", "p_0", "p_1"])
        self.assertEqual(len(lines), 61)
        p = np.array([[float(x) for x in l.split("\t")[1:]] for l in lines[1:]])
        np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
        self.assertEqual([l.split("\t")[0] for l in lines[1:4]], ["1", "2", "3"])
        acc = np.mean(p.argmax(1) == np.array([y for _, y in val_rows]))
        self.assertAlmostEqual(acc, metrics["accuracy"], places=6)
        _, stdout, _ = run("predict", "-m", out, "-o", "-", val)
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        _, stdout, _ = run("predict", "-m", out, "-@", "2", "-o", "-", val)  # rows side by side
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        import gzip
        with open(val, "rb") as f, gzip.open(self.path("val.csv.gz"), "wb") as g:
            g.write(f.read())
        _, stdout, _ = run("predict", "-m", out, "-o", "-", self.path("val.csv.gz"))  # a gzipped table
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        whole = read_text(self.path("p.tsv")).splitlines()
        shards = [run("predict", "-m", out, "--shard", f"{i}/3", "-o", "-", val)[1].splitlines() for i in (1, 2, 3)]
        self.assertEqual(shards[0][:1] + sum([part[1:] for part in shards], []), whole)
        _, _, err = run("predict", "-m", out, "-o", "-", "-O", "bed", val, expect=2)
        self.assertIn("a classification model writes a TSV (-o OUT.tsv), not BED calls", err)
        # A classifier has no per-base track.
        code, _, err = run("predict", "-m", out, "--track", "entropy", "-o", self.path("x.tsv"), val, expect=2)
        self.assertIn("--track does not apply", err)

    def test_full_finetune_of_a_hyena_backbone(self):
        rng = np.random.default_rng(6)
        train = self.write_csv("train.csv", self.gc_rows(rng, 160))
        val = self.write_csv("val.csv", self.gc_rows(rng, 40))
        hyena = os.path.join(ROOT, "tests", "data", "golden", "hyenadna_tiny1k_L1024")
        args = ["finetune", "-m", hyena, "--train", train, "--val", val, "--epochs", "3", "--batch", "8", "--lr",
                "1e-3", "--progress", "none"]
        run(*args, "-o", self.path("ft"))
        run(*args, "-o", self.path("ft_r"), "--recompute")  # recomputed activations: the same weights
        for f in ("model.safetensors", "head.safetensors"):
            self.assertEqual(read_bytes(self.path("ft/" + f)), read_bytes(self.path("ft_r/" + f)), f)
        metrics = load_json(self.path("ft/metrics.json"))
        self.assertGreater(metrics["val"]["accuracy"], 0.8)
        cfg = load_json(self.path("ft/config.json"))
        self.assertEqual(cfg["family"], "hyena")
        self.assertFalse(cfg["provenance"]["freeze_backbone"])
        run("predict", "-m", self.path("ft"), "-o", self.path("p.tsv"), val)
        rows = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(rows[0].split("\t"), ["id", "p_0", "p_1"])
        self.assertEqual(len(rows), 41)

    def test_frozen_backbone_bed_input_and_region_predictions(self):
        seq = lambda_seq()
        rng = np.random.default_rng(2)
        lines = []
        for i, beg in enumerate(range(0, 48000, 200)):
            w = seq[beg:beg + 200]
            gc = (w.count("G") + w.count("C")) / len(w)
            lines.append((beg, beg + 200, f"w{i}", int(gc > 0.5)))
        rng.shuffle(lines)
        def bed(name, rows):
            with open(self.path(name), "w") as f:
                for b, e, n, y in rows:
                    f.write(f"NC_001416.1\t{b}\t{e}\t{n}\t{y}\n")
            return self.path(name)
        train, val = bed("train.bed", lines[:180]), bed("val.bed", lines[180:])
        out = self.path("probe")
        run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--fasta", LAMBDA,
            "--label-column", "5", "--epochs", "20", "--batch", "16", "--lr", "0.02", "--patience", "20",
            "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.8, metrics)
        # Frozen: the backbone file is the base model's, byte for byte.
        self.assertEqual(read_bytes(os.path.join(out, "model.safetensors")),
                         read_bytes(os.path.join(MODEL, "model.safetensors")))
        # The features and validations of short examples run side by side with -@ 2: same head.
        run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--fasta", LAMBDA,
            "--label-column", "5", "--epochs", "20", "--batch", "16", "--lr", "0.02", "--patience", "20",
            "-@", "2", "-o", self.path("probe2"), "--progress", "none")
        self.assertEqual(read_bytes(os.path.join(self.path("probe2"), "head.safetensors")),
                         read_bytes(os.path.join(out, "head.safetensors")))
        run("predict", "-m", out, "-R", val, "-o", self.path("p.tsv"), LAMBDA)
        rows = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(len(rows), 1 + len(lines) - 180)
        self.assertEqual(rows[1].split("\t")[0], lines[180][2])  # ids are the BED names

    def test_held_out_examples_of_a_sorted_bed(self):
        # A BED sorted by class: the held-out part, and a --max-train sample, still have both classes.
        seq = lambda_seq()
        rows = []
        for beg in range(0, 48000, 200):
            w = seq[beg:beg + 200]
            rows.append((beg, beg + 200, int((w.count("G") + w.count("C")) / len(w) > 0.5)))
        rows.sort(key=lambda r: r[2])
        with open(self.path("sorted.bed"), "w") as f:
            for b, e, y in rows:
                f.write(f"NC_001416.1\t{b}\t{e}\tw{b}\t{y}\n")
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--train", self.path("sorted.bed"), "--fasta", LAMBDA,
                "--label-column", "5", "--epochs", "10", "--batch", "16", "--lr", "0.02", "--patience", "10",
                "--progress", "none"]
        _, _, err = run(*args, "-o", self.path("held"))
        n1 = sum(y for _, _, y in rows)
        n_val = int(0.1 * n1 + 0.5) + int(0.1 * (len(rows) - n1) + 0.5)  # halves round up
        self.assertIn(f"no --val; validating on {n_val} examples of {self.path('sorted.bed')} (10 % of each class, "
                      "drawn with --seed 1)", err)
        metrics = load_json(self.path("held/metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.8, metrics)  # NaN if validation had one class
        prov = load_json(self.path("held/config.json"))["provenance"]
        self.assertEqual(prov["val"], self.path("sorted.bed") + " (10 % of each class, seed 1)")
        run(*args, "--max-train", "60", "-o", self.path("few"))  # the first 60 would all be class 0
        self.assertGreater(load_json(self.path("few/metrics.json"))["val"]["auroc"], 0.7)

        # A held-out stretch of the genome: examples touching it validate, the rest train.
        _, _, err = run(*args, "--val-region", "NC_001416.1:40001-48502", "-o", self.path("region"))
        n_in = sum(1 for b, e, _ in rows if e > 40000)
        self.assertIn(f"{n_in} examples of {self.path('sorted.bed')} in --val-region validate, "
                      f"{len(rows) - n_in} train", err)
        self.assertEqual(load_json(self.path("region/config.json"))["provenance"]["val"],
                         self.path("sorted.bed") + " inside --val-region NC_001416.1:40001-48502")
        _, _, err = run(*args, "--val-region", "NC_001416.1:40001-48502", "--train-region", "NC_001416.1:1-20000",
                        "-o", self.path("region2"))
        self.assertIn(f"{n_in} examples of {self.path('sorted.bed')} in --val-region validate, 100 train", err)

        for extra, msg in [(["--train-region", "NC_001416.1:1-20000"], "--train-region alone has nothing"),
                           (["--val-region", "NC_001416.1", "--val", self.path("sorted.bed")], "and no --val"),
                           (["--val-region", "chrX"], "unknown contig 'chrX'")]:
            _, _, err = run(*args, *extra, "-o", self.path("bad"), expect=1 if "chrX" in msg else 2)
            self.assertIn(msg, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        csv = self.write_csv("t.csv", self.gc_rows(np.random.default_rng(5), 40))
        _, _, err = run("finetune", "-m", MODEL, "--train", csv, "--val-region", "NC_001416.1", "-o", self.path("bad"),
                        expect=2)
        self.assertIn("t.csv: --val-region/--train-region need a BED of labeled intervals", err)
        self.assertFalse(os.path.exists(self.path("bad")))

    def test_stranded_bed_examples_and_their_predictions(self):
        seq = lambda_seq()
        rows = []
        for i, beg in enumerate(range(0, 48000, 300)):
            w = seq[beg:beg + 150]
            strand = "+-"[i % 2]
            oriented = w if strand == "+" else revcomp(w)
            rows.append((beg, strand, int((w.count("G") + w.count("C")) / len(w) > 0.5), oriented))
        with open(self.path("s.bed"), "w") as f:
            for beg, strand, y, _ in rows:
                f.write(f"NC_001416.1\t{beg}\t{beg + 150}\tx{beg}\t{y}\t{strand}\n")
        out = self.path("tuned")
        run("finetune", "-m", MODEL, "--freeze-backbone", "--stranded", "--train", self.path("s.bed"), "--fasta",
            LAMBDA, "--label-column", "5", "--epochs", "3", "-o", out, "--progress", "none")
        self.assertTrue(load_json(os.path.join(out, "config.json"))["provenance"]["stranded"])
        with open(self.path("oriented.csv"), "w") as f:
            f.write("id,sequence,label\n")
            for beg, _, y, oriented in rows:
                f.write(f"x{beg},{oriented},{y}\n")
        _, by_bed, _ = run("predict", "-m", out, "--stranded", "-R", self.path("s.bed"), "-o", "-", LAMBDA)
        _, by_csv, _ = run("predict", "-m", out, "-o", "-", self.path("oriented.csv"))
        self.assertEqual(by_bed, by_csv)
        _, unstranded, _ = run("predict", "-m", out, "-R", self.path("s.bed"), "-o", "-", LAMBDA)
        self.assertNotEqual(unstranded, by_csv)
        # --metrics reads the labels from the BED's column, as finetune did: the CSV's numbers.
        _, _, err = run("predict", "-m", out, "--stranded", "-R", self.path("s.bed"), "--metrics", self.path("b.json"),
                        "--label-column", "5", "-o", "-", LAMBDA)
        self.assertIn(f"labeled rows of {self.path('s.bed')}: acc", err)
        run("predict", "-m", out, "--metrics", self.path("c.json"), "-o", "-", self.path("oriented.csv"))
        self.assertEqual(load_json(self.path("b.json")), load_json(self.path("c.json")))
        # Column 4 holds names, not the model's classes; -r has no labels; --label-column alone means nothing.
        bed = ["--stranded", "-R", self.path("s.bed")]
        for args, code, msg in [([*bed, "--metrics", self.path("x.json")], 1, "s.bed: interval 1: label 'x"),
                                (["-r", "NC_001416.1:1-500", "--metrics", self.path("x.json")], 2,
                                 "--metrics needs labels: a CSV with a 'label' column, a GenomicBenchmarks folder, or the intervals of -R BED"),
                                ([*bed, "--metrics", self.path("x.json"), "--label-column", "9"], 1,
                                 "s.bed: line 1: no column 9 (the label)"),
                                ([*bed, "--label-column", "5"], 2,
                                 "--label-column names the labels --metrics scores against")]:
            _, _, err = run("predict", "-m", out, *args, "-o", self.path("x.tsv"), LAMBDA, expect=code)
            self.assertIn(msg, err)
            self.assertFalse(os.path.exists(self.path("x.json")) or os.path.exists(self.path("x.tsv")))

        _, _, err = run("finetune", "-m", MODEL, "--stranded", "--train", self.path("oriented.csv"), "-o",
                        self.path("bad"), expect=2)
        self.assertIn("oriented.csv: --stranded reads the strand of BED intervals", err)
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--stranded", "--train", self.path("s.bed"),
                        "--fasta", LAMBDA, "--val-region", "NC_001416.1:40001-48502", "-o", self.path("bad"),
                        expect=2)
        self.assertIn("--task segment: --stranded does not apply", err)

    def test_test_set_scored_once_by_the_kept_head(self):
        rng = np.random.default_rng(8)
        train = self.write_csv("train.csv", self.gc_rows(rng, 160))
        val = self.write_csv("val.csv", self.gc_rows(rng, 40))
        test_rows = self.gc_rows(rng, 50)
        test = self.write_csv("test.csv", test_rows)
        out = self.path("tuned")
        _, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--test", test,
                        "--epochs", "4", "--lr", "0.02", "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))
        self.assertIn(f"dnassm finetune: test (50 examples of {test}): acc {metrics['test']['accuracy']:.4f}  MCC", err)
        self.assertEqual(load_json(os.path.join(out, "config.json"))["provenance"]["test_metrics"], metrics["test"])
        # The same numbers as the saved model's predictions on the test set.
        run("predict", "-m", out, "-o", self.path("p.tsv"), test)
        p = np.array([[float(x) for x in l.split("\t")[1:]] for l in read_text(self.path("p.tsv")).splitlines()[1:]])
        y = np.array([y for _, y in test_rows])
        self.assertAlmostEqual(np.mean(p.argmax(1) == y), metrics["test"]["accuracy"], places=6)
        self.assertAlmostEqual(auroc(p[:, 1], y == 1), metrics["test"]["auroc"], places=5)
        # predict --metrics scores the saved model on the labeled table the same way.
        _, _, err = run("predict", "-m", out, "--metrics", self.path("m.json"), "-o", self.path("p2.tsv"), test)
        self.assertEqual(read_text(self.path("p2.tsv")), read_text(self.path("p.tsv")))
        again = load_json(self.path("m.json"))
        for k in ("n", "accuracy", "mcc", "f1"):
            self.assertAlmostEqual(again[k], metrics["test"][k], places=6, msg=k)
        self.assertAlmostEqual(again["auroc"], metrics["test"]["auroc"], places=5)
        self.assertIn(f"dnassm predict: 50 labeled rows of {test}: acc {again['accuracy']:.4f}", err)
        unlabeled = self.path("u.csv")
        with open(unlabeled, "w") as f:
            f.write("sequence\nACGTACGT\n")
        for args, code, msg in [([unlabeled], 1, "u.csv: row 1: no label (--metrics needs a 'label' column"),
                                ([LAMBDA], 2, "--metrics needs labels: a CSV with a 'label' column")]:
            _, _, err = run("predict", "-m", out, "--metrics", self.path("x.json"), "-o", self.path("x.tsv"), *args,
                            expect=code)
            self.assertIn(msg, err)
            self.assertFalse(os.path.exists(self.path("x.json")) or os.path.exists(self.path("x.tsv")))
        _, _, err = run("predict", "-m", MODEL, "--metrics", self.path("x.json"), "-o", self.path("x.tsv"), test,
                        expect=2)
        self.assertIn("--metrics scores a fine-tuned per-sequence model", err)
        bad = self.write_csv("bad.csv", [("ACGTACGT", 7)])
        _, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--test", bad,
                        "-o", self.path("x"), expect=1)
        self.assertIn("bad.csv: label '7' does not occur in the training data", err)

    def test_regression_head_on_a_numeric_target(self):
        # Target: GC content in percent (units far from 1), which the pooled embedding carries.
        rng = np.random.default_rng(9)
        def rows(n):
            out = []
            for _ in range(n):
                seq = random_dna(rng, 80, rng.uniform(0.2, 0.8))
                out.append((seq, round(100.0 * (seq.count("G") + seq.count("C")) / len(seq), 2)))
            return out
        train, val = self.write_csv("train.csv", rows(300)), self.write_csv("val.csv", rows(60))
        test_rows = rows(60)
        test = self.write_csv("test.csv", test_rows)
        out = self.path("reg")
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--freeze-backbone", "--train", train, "--val",
                        val, "--test", test, "--epochs", "30", "--lr", "0.05", "--patience", "30", "-o", out,
                        "--progress", "none")
        self.assertIn("Pearson r", err)
        metrics = load_json(os.path.join(out, "metrics.json"))
        self.assertGreater(metrics["val"]["pearson"], 0.8, metrics)
        self.assertEqual(sorted(metrics["test"]), ["loss", "mse", "n", "pearson", "r2", "spearman"])
        cfg = load_json(os.path.join(out, "config.json"))
        self.assertEqual((cfg["task_head"]["task"], cfg["task_head"]["classes"]), ("regress", ["value"]))
        _, info, _ = run("info", out)
        self.assertIn("task head:   regress, one value\npredicts:    a row per sequence (-o OUT.tsv): value\n", info)
        # Predictions are in the target's units (the training scale is folded into the saved head),
        # and the test metrics are those of the saved model's predictions.
        run("predict", "-m", out, "-o", self.path("p.tsv"), test)
        lines = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(lines[0], "id\tvalue")
        p = np.array([float(l.split("\t")[1]) for l in lines[1:]])
        y = np.array([t for _, t in test_rows])
        self.assertAlmostEqual(float(np.mean((p - y) ** 2)), metrics["test"]["mse"], delta=1e-3 * metrics["test"]["mse"])
        self.assertAlmostEqual(float(np.corrcoef(p, y)[0, 1]), metrics["test"]["pearson"], places=4)
        self.assertLess(abs(p.mean() - y.mean()), 5.0)  # percent, not standardised units
        run("predict", "-m", out, "--metrics", self.path("m.json"), "-o", self.path("p2.tsv"), test)
        self.assertAlmostEqual(load_json(self.path("m.json"))["pearson"], metrics["test"]["pearson"], places=4)

        # A BED's column 5 (the score) is the default target; no --val holds out 10 % at random.
        seq = lambda_seq()
        with open(self.path("r.bed"), "w") as f:
            for beg in range(0, 48000, 200):
                w = seq[beg:beg + 200]
                f.write(f"NC_001416.1\t{beg}\t{beg + 200}\tw{beg}\t{(w.count('G') + w.count('C')) / 2:.1f}\n")
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--freeze-backbone", "--train", self.path("r.bed"),
                        "--fasta", LAMBDA, "--epochs", "2", "-o", self.path("bed"), "--progress", "none")
        self.assertIn("validating on 24 examples of " + self.path("r.bed") + " (10 %, drawn with --seed 1)", err)
        # predict --metrics on the BED: its column 5 against the predicted values.
        _, table, _ = run("predict", "-m", self.path("bed"), "-R", self.path("r.bed"), "--metrics",
                          self.path("b.json"), "-o", "-", LAMBDA)
        p = np.array([float(l.split("\t")[1]) for l in table.splitlines()[1:]])
        y = np.loadtxt(self.path("r.bed"), usecols=4)
        got = load_json(self.path("b.json"))
        self.assertEqual(got["n"], len(y))
        self.assertAlmostEqual(got["mse"], float(np.mean((p - y) ** 2)), delta=1e-4 * got["mse"])
        self.assertAlmostEqual(got["pearson"], float(np.corrcoef(p, y)[0, 1]), places=4)

        bad = self.write_csv("bad.csv", [("ACGTACGT", "high"), ("ACGTAAAA", 1.5)])
        for args, code, msg in [(["--train", bad], 1, "bad.csv: row 1: label 'high' is not a number (--task regress)"),
                                (["--train", self.write_csv("flat.csv", [("ACGT", 2)] * 30), "--val", val], 1,
                                 "a regression needs targets that vary"),
                                (["--train", train, "--select", "auroc"], 2,
                                 "--select: one of pearson, spearman, loss for --task regress (not 'auroc')")]:
            _, _, err = run("finetune", "-m", MODEL, "--task", "regress", *args, "-o", self.path("x"), expect=code)
            self.assertIn(msg, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_genomic_benchmarks_folders(self):
        # A GenomicBenchmarks-style dataset on lambda: train/ and test/ with one interval list per class,
        # and the same sequences written out as loc2seq writes them (one .txt per sequence).
        import gzip
        seq = lambda_seq()
        rng = np.random.default_rng(10)
        for part in ("train", "test"):
            os.makedirs(self.path(f"gb/{part}"))
            rows = {"gc_high": [], "gc_low": []}
            for beg in range(0 if part == "train" else 100, 48000, 400):
                w = seq[beg:beg + 120]
                strand = "+-"[int(rng.integers(2))]
                rows["gc_high" if (w.count("G") + w.count("C")) / len(w) > 0.5 else "gc_low"].append((beg, strand))
            for label, items in rows.items():
                with gzip.open(self.path(f"gb/{part}/{label}.csv.gz"), "wt") as f:
                    f.write("id,region,start,end,strand\n")
                    for i, (beg, strand) in enumerate(items):
                        f.write(f"{i},NC_001416.1,{beg},{beg + 120},{strand}\n")
                os.makedirs(self.path(f"seqs/{part}/{label}"))
                for i, (beg, strand) in enumerate(items):
                    w = seq[beg:beg + 120]
                    with open(self.path(f"seqs/{part}/{label}/{i:04d}.txt"), "w") as f:
                        f.write(w if strand == "+" else revcomp(w))
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--epochs", "10", "--lr", "0.02", "--patience", "10",
                "--progress", "none"]
        run(*args, "--train", self.path("gb/train"), "--test", self.path("gb/test"), "--fasta", LAMBDA, "-o",
            self.path("lists"))
        metrics = load_json(self.path("lists/metrics.json"))
        self.assertEqual(metrics["test"]["n"], sum(1 for _ in range(100, 48000, 400)))
        self.assertGreater(metrics["test"]["auroc"], 0.8, metrics)
        self.assertEqual(load_json(self.path("lists/config.json"))["task_head"]["classes"], ["gc_high", "gc_low"])
        # The full-sequence folders hold the same sequences (the - strand reverse-complemented): the same head.
        run(*args, "--train", self.path("seqs/train"), "--test", self.path("seqs/test"), "-o", self.path("texts"))
        self.assertEqual(read_bytes(self.path("texts/head.safetensors")), read_bytes(self.path("lists/head.safetensors")))
        _, _, err = run(*args, "--train", self.path("gb/train"), "-o", self.path("x"), expect=2)
        self.assertIn("gc_high.csv.gz: an interval list needs --fasta REF.fa", err)
        # predict reads a folder as a table (interval lists from -T): the test metrics again, from the saved model.
        for folder, ref in (("gb/test", ["-T", LAMBDA]), ("seqs/test", [])):
            _, table, _ = run("predict", "-m", self.path("lists"), *ref, "--metrics", self.path("m.json"), "-o", "-",
                              self.path(folder))
            self.assertEqual(len(table.splitlines()), 1 + metrics["test"]["n"])
            self.assertEqual(table.splitlines()[0], "id\tp_gc_high\tp_gc_low")
            again = load_json(self.path("m.json"))
            for k in ("n", "accuracy", "mcc"):
                self.assertAlmostEqual(again[k], metrics["test"][k], places=6, msg=(folder, k))
            self.assertAlmostEqual(again["auroc"], metrics["test"]["auroc"], places=5, msg=folder)
        _, _, err = run("predict", "-m", self.path("lists"), "-o", "-", self.path("gb/test"), expect=2)
        self.assertIn("gc_high.csv.gz: an interval list needs -T/--reference REF.fa", err)

    def test_rc_augmentation(self):
        rng = np.random.default_rng(11)
        train = self.write_csv("train.csv", self.gc_rows(rng, 80))
        val = self.write_csv("val.csv", self.gc_rows(rng, 20))
        for frozen in ([], ["--freeze-backbone"]):
            args = ["finetune", "-m", MODEL, "--train", train, "--val", val, "--epochs", "2", "--batch", "8",
                    "--progress", "none", *frozen]
            tag = "f" if frozen else "b"
            run(*args, "-o", self.path(tag + "plain"))
            run(*args, "--rc-aug", "-o", self.path(tag + "aug"))
            run(*args, "--rc-aug", "-@", "2", "-o", self.path(tag + "aug2"))
            head = lambda d: read_bytes(self.path(d + "/head.safetensors"))
            self.assertNotEqual(head(tag + "aug"), head(tag + "plain"))  # some draws were reverse strands
            self.assertEqual(head(tag + "aug"), head(tag + "aug2"))  # and the draws depend on --seed only
            self.assertTrue(load_json(self.path(tag + "aug/config.json"))["provenance"]["rc_aug"])
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--rc-aug", "--train", self.path("x.bed"),
                        "--fasta", LAMBDA, "--val-region", "NC_001416.1", "-o", self.path("x"), expect=2)
        self.assertIn("finetune --task segment: --rc-aug is what it always does", err)

    def test_balanced_class_weights(self):
        rng = np.random.default_rng(12)
        rows = [(random_dna(rng, 60, 0.3), 0) for _ in range(90)] + [(random_dna(rng, 60, 0.7), 1) for _ in range(30)]
        train = self.write_csv("train.csv", rows)
        val = self.write_csv("val.csv", self.gc_rows(rng, 20))
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--epochs", "3",
                "--progress", "none"]
        run(*args, "-o", self.path("plain"))
        _, _, err = run(*args, "--class-weight", "balanced", "-o", self.path("balanced"))
        self.assertIn("class weights (balanced): 0 0.6667, 1 2\n", err)  # 120 / (2 x 90), 120 / (2 x 30)
        self.assertNotEqual(read_bytes(self.path("balanced/head.safetensors")),
                            read_bytes(self.path("plain/head.safetensors")))
        self.assertEqual(load_json(self.path("balanced/config.json"))["provenance"]["class_weight"], "balanced")
        _, _, err = run(*args, "--class-weight", "inverse", "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight: 'inverse' is not one of none, balanced", err)
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--class-weight", "balanced", "--train", train,
                        "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight applies to classes", err)

    def test_track_head_on_per_base_values(self):
        # Target: the GC percentage of the 30 bases up to each base (a causal model can read it), as a
        # bedGraph with a gap; windows from the first 30 kb, validation on the rest.
        rng = np.random.default_rng(13)
        seq = "".join(random_dna(rng, 500, rng.uniform(0.2, 0.8)) for _ in range(80))
        with open(self.path("g.fa"), "w") as f:
            f.write(">chrT\n" + seq + "\n")
        gc = np.array([c in "GC" for c in seq], float)
        csum = np.concatenate([[0], np.cumsum(gc)])
        target = np.array([100 * (csum[i + 1] - csum[max(0, i - 29)]) / (i + 1 - max(0, i - 29)) for i in range(len(seq))])
        with open(self.path("t.bedgraph"), "w") as f:
            for i, v in enumerate(target):
                if not 10000 <= i < 11000:  # a stretch without values
                    f.write(f"chrT\t{i}\t{i + 1}\t{v:.3f}\n")
        out = self.path("trk")
        args = ["finetune", "-m", MODEL, "--task", "track", "--freeze-backbone", "--fasta", self.path("g.fa"),
                "--train-region", "chrT:1-30000", "--val-region", f"chrT:30001-{len(seq)}", "--steps", "120",
                "--batch", "4", "--window", "1024", "--lr", "0.01", "--progress", "none"]
        _, _, err = run(*args, "--train", self.path("t.bedgraph"), "-o", out)
        # The same values as a bigWig (read region by region through its index): the same head.
        with pyBigWig.open(self.path("t.bw"), "w") as bw:
            bw.addHeader([("chrT", len(seq))])
            keep = [i for i in range(len(seq)) if not 10000 <= i < 11000]
            bw.addEntries(["chrT"] * len(keep), keep, ends=[i + 1 for i in keep],
                          values=[float(f"{target[i]:.3f}") for i in keep])
        run(*args, "--train", self.path("t.bw"), "-o", self.path("trk_bw"))
        self.assertEqual(read_bytes(self.path("trk_bw/head.safetensors")), read_bytes(os.path.join(out, "head.safetensors")))
        self.assertIn("Pearson r", err)
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["pearson"], 0.6, metrics)
        self.assertEqual(metrics["n"], len(seq) - 30000)
        _, info, _ = run("info", out)
        self.assertIn("task head:   track, one value per base\n", info)
        self.assertIn("predicts:    value, loglik, entropy, prob", info)
        # The default track of the tuned model is its value, in the target's units.
        run("predict", "-m", out, "-r", f"chrT:30001-{len(seq)}", "-o", self.path("v.bw"), self.path("g.fa"))
        with pyBigWig.open(self.path("v.bw")) as bw:
            v = np.array(bw.values("chrT", 30000, len(seq)))
        self.assertAlmostEqual(float(np.corrcoef(v, target[30000:])[0, 1]), metrics["pearson"], places=4)
        self.assertLess(abs(v.mean() - target[30000:].mean()), 10)
        _, _, err = run("predict", "-m", out, "-r", "chrT:30001-31000", "-o", self.path("c.bed"), self.path("g.fa"),
                        expect=2)
        self.assertIn("--threshold", err)  # a value track has no default threshold
        _, _, err = run("finetune", "-m", MODEL, "--task", "track", "--train", self.path("t.bedgraph"), "--fasta",
                        self.path("g.fa"), "--val-region", "chrT:30001-40000", "--class-weight", "balanced",
                        "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight applies to classes", err)

    def test_segment_per_base_head_and_probability_track(self):
        rng = np.random.default_rng(3)
        parts, islands, pos = [], [], 0
        while pos < 40000:
            bg = int(rng.integers(200, 600))
            parts.append(random_dna(rng, bg, 0.3))
            pos += bg
            isl = int(rng.integers(100, 300))
            parts.append(random_dna(rng, isl, 0.8))
            islands.append((pos, pos + isl))
            pos += isl
        seq = "".join(parts)
        with open(self.path("g.fa"), "w") as f:
            f.write(">chrS\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
        with open(self.path("islands.bed"), "w") as f:
            for b, e in islands:
                f.write(f"chrS\t{b}\t{e}\tisland\n")
        out = self.path("seg")
        run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("islands.bed"), "--fasta",
            self.path("g.fa"), "--train-region", "chrS:1-30000", "--val-region", f"chrS:30001-{len(seq)}",
            "--steps", "40", "--eval-every", "20", "--window", "512", "--batch", "4", "--lr", "3e-3",
            "--warmup", "5", "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.9, metrics)
        self.assertEqual(load_json(os.path.join(out, "config.json"))["task_head"]["classes"], ["0", "1"])
        _, info, _ = run("info", out)
        self.assertIn("task head:   segment, 2 classes\n", info)
        self.assertIn("predicts:    p_0, p_1, loglik, entropy, prob (--track;", info)
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "-o", self.path("p1.bw"), self.path("g.fa"))
        with pyBigWig.open(self.path("p1.bw")) as bw:
            p = np.array(bw.values("chrS", 30000, len(seq)))
        self.assertTrue(np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all())
        truth = np.zeros(len(seq), bool)
        for b, e in islands:
            truth[b:e] = True
        self.assertAlmostEqual(auroc(p, truth[30000:]), metrics["auroc"], places=3)
        # BED calls of the same track recover the held-out islands.
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "--merge-gap", "20", "--min-length", "50",
            "-o", self.path("calls.bed"), self.path("g.fa"))
        lines = read_text(self.path("calls.bed")).splitlines()
        self.assertEqual(lines, expected_calls("chrS", 30000, p, 0.5, merge_gap=20, min_length=50, name="p_1",
                                               probability=True))
        run("call", "--threshold", "0.5", "--probability", "--name", "p_1", "--merge-gap", "20", "--min-length", "50",
            "-o", self.path("recalled.bed"), self.path("p1.bw"))
        self.assertEqual(read_text(self.path("recalled.bed")), read_text(self.path("calls.bed")))
        called = np.zeros(len(seq), bool)
        for line in lines:
            f = line.split("\t")
            called[int(f[1]):int(f[2])] = True
            self.assertGreaterEqual(int(f[4]), 500)
        held_out = truth[30000:]
        recall = (called[30000:] & held_out).sum() / held_out.sum()
        precision = (called[30000:] & held_out).sum() / called[30000:].sum()
        self.assertGreater(recall, 0.8, (recall, precision))
        self.assertGreater(precision, 0.8, (recall, precision))
        code, _, err = run("predict", "-m", out, "--track", "p_7", "-o", self.path("x.bw"), self.path("g.fa"),
                           expect=2)
        self.assertIn("p_0, p_1", err)
        # Every class's track (and the LM's) from one pass, a file each.
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "--track", "all", "-o", self.path("all.{track}.bw"),
            self.path("g.fa"))
        with pyBigWig.open(self.path("all.p_1.bw")) as bw:
            np.testing.assert_array_equal(np.array(bw.values("chrS", 30000, len(seq))), p)
        with pyBigWig.open(self.path("all.p_0.bw")) as bw:
            np.testing.assert_allclose(np.array(bw.values("chrS", 30000, len(seq))), 1 - p, atol=1e-6)
        self.assertTrue(os.path.exists(self.path("all.loglik.bw")) and os.path.exists(self.path("all.entropy.bw")))

    def test_bad_inputs(self):
        rng = np.random.default_rng(4)
        train = self.write_csv("train.csv", self.gc_rows(rng, 20))
        val = self.write_csv("val.csv", [("ACGTACGT", 0), ("ACGTAAAA", 5)])
        code, _, err = run("finetune", "-m", MODEL, "--train", train, "--val", val, "-o", self.path("o"), expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("val.csv: label '5' does not occur in the training data", err)
        with open(self.path("bad.csv"), "w") as f:
            f.write("seq,y\nACGT,1\n")
        code, _, err = run("finetune", "-m", MODEL, "--train", self.path("bad.csv"), "-o", self.path("o"), expect=1)
        self.assertIn("bad.csv: line 1: expected a header with 'sequence' and 'label'", err)
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t0\t100\tx\t1\n")
        code, _, err = run("finetune", "-m", MODEL, "--train", self.path("r.bed"), "-o", self.path("o"), expect=2)
        self.assertIn("needs --fasta", err)
        code, _, err = run("finetune", "-m", MODEL, "--task", "cluster", "--train", train, "-o", self.path("o"),
                           expect=2)
        self.assertIn("--task", err)
        code, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--recompute", "--train", train, "-o",
                           self.path("o"), expect=2)
        self.assertIn("--recompute has nothing to recompute with --freeze-backbone", err)
        caduceus = os.path.join(ROOT, "tests", "data", "golden", "caduceus_ph_L1024_B1")
        for bad in ("1.5", "-0.1"):
            code, _, err = run("pretrain", "-m", caduceus, "--fasta", LAMBDA, "--mask-prob=" + bad, "-o",
                               self.path("o"), expect=2)
            self.assertIn("--mask-prob must be in (0, 1)", err)
            self.assertFalse(os.path.exists(self.path("o/config.json")))
        code, _, err = run("pretrain", "-m", MODEL, "--fasta", LAMBDA, "--mask-prob", "0.2", "-o", self.path("o"),
                           expect=2)
        self.assertIn("--mask-prob applies to masked LMs (Caduceus)", err)


class CaduceusTests(Tmp):
    def golden(self, name):
        d = os.path.join(ROOT, "tests", "data", "golden", name)
        with open(os.path.join(d, "sequence.txt")) as f:
            seq = f.read().strip()
        with open(self.path(name + ".fa"), "w") as f:
            f.write(">s\n" + seq + "\n")
        return d, self.path(name + ".fa"), np.load(os.path.join(d, "hidden.npy"))[0]

    def test_embed_official_layout_fold_and_rc(self):
        d, fa, want = self.golden("caduceus_ps_L1024_B1")
        run("embed", "-m", d, "-o", self.path("h.npy"), fa)
        h = np.load(self.path("h.npy"))
        self.assertEqual(h.shape, (1024, 128))
        self.assertLess(np.linalg.norm(h - want) / np.linalg.norm(want), 1e-5)
        run("embed", "-m", d, "--fold-rc", "-o", self.path("f.npy"), fa)
        f = np.load(self.path("f.npy"))
        np.testing.assert_allclose(f, 0.5 * (want[:, :64] + want[:, ::-1][:, :64]), atol=1e-5)
        # PS is RC-equivariant, so --rc averaging changes nothing beyond float rounding.
        run("embed", "-m", d, "--rc", "-o", self.path("rc.npy"), fa)
        rc = np.load(self.path("rc.npy"))
        self.assertLess(np.linalg.norm(rc - h) / np.linalg.norm(h), 1e-5)
        d_ph, fa_ph, want_ph = self.golden("caduceus_ph_L1024_B1")
        run("embed", "-m", d_ph, "-o", self.path("ph.npy"), fa_ph)
        self.assertLess(np.linalg.norm(np.load(self.path("ph.npy")) - want_ph) / np.linalg.norm(want_ph), 1e-5)
        _, _, err = run("embed", "-m", d_ph, "--fold-rc", "-o", self.path("x.npy"), fa_ph, expect=2)
        self.assertIn("no [forward | reverse-complement] hidden layout", err)
        _, out, _ = run("info", d)
        self.assertIn("Caduceus-PS", out)
        self.assertIn("82624", out.replace(",", ""))

    def test_bundled_caduceus_is_equivariant_and_predicts_masked_bases(self):
        """The trained bundled model, by name: RC equivariance on real DNA with trained weights, and
        masked bases predicted better than chance."""
        run("embed", "-m", "dnassm-caduceus-small", "-r", "NC_001416.1:40001-42000", "-o", self.path("h.npy"), LAMBDA)
        run("embed", "-m", "dnassm-caduceus-small", "-r", "NC_001416.1:40001-42000", "--rc", "-o",
            self.path("rc.npy"), LAMBDA)
        h, rc = np.load(self.path("h.npy")), np.load(self.path("rc.npy"))
        self.assertEqual(h.shape, (2000, 128))
        self.assertLess(np.linalg.norm(rc - h) / np.linalg.norm(h), 1e-5)
        run("embed", "-m", "dnassm-caduceus-small", "-r", "NC_001416.1:40001-42000", "--fold-rc", "-o",
            self.path("f.npy"), LAMBDA)
        np.testing.assert_allclose(np.load(self.path("f.npy")), 0.5 * (h[:, :64] + h[:, ::-1][:, :64]), atol=1e-5)
        run("predict", "-m", "dnassm-caduceus-small", "-r", "NC_001416.1:44001-44600", "--mlm-context", "128", "-o",
            self.path("m.bedgraph"), LAMBDA)
        loglik = np.loadtxt(self.path("m.bedgraph"), usecols=3)
        self.assertEqual(len(loglik), 600)
        self.assertGreater(loglik.mean(), math.log(0.25) + 0.02)  # held-out lambda tail: better than chance
        _, out, _ = run("info", "dnassm-caduceus-small")
        self.assertIn("dnassm pretrain", out)
        self.assertIn("Caduceus-PS", out)

    def test_frozen_finetune_on_caduceus(self):
        d, _, _ = self.golden("caduceus_ps_L1024_B1")
        rng = np.random.default_rng(5)
        with open(self.path("t.csv"), "w") as f:
            f.write("sequence,label\n")
            for _ in range(120):
                y = int(rng.integers(0, 2))
                f.write(f"{random_dna(rng, 50, 0.75 if y else 0.25)},{y}\n")
        run("finetune", "-m", d, "--freeze-backbone", "--train", self.path("t.csv"), "--epochs", "30", "--lr", "0.05",
            "--patience", "30", "-o", self.path("ft"), "--progress", "none")
        self.assertGreater(load_json(self.path("ft/metrics.json"))["val"]["accuracy"], 0.8)
        run("predict", "-m", self.path("ft"), "-o", self.path("p.tsv"), self.path("t.csv"))
        self.assertEqual(len(read_text(self.path("p.tsv")).splitlines()), 121)

    def test_full_finetune_on_caduceus_ps_keeps_the_released_layout(self):
        d, _, _ = self.golden("caduceus_ps_L1024_B1")
        rng = np.random.default_rng(8)
        with open(self.path("t.csv"), "w") as f:
            f.write("sequence,label\n")
            for _ in range(120):
                y = int(rng.integers(0, 2))
                f.write(f"{random_dna(rng, 50, 0.75 if y else 0.25)},{y}\n")
        run("finetune", "-m", d, "--train", self.path("t.csv"), "--epochs", "3", "--batch", "8", "--lr", "2e-3",
            "-o", self.path("ft"), "--progress", "none")
        self.assertGreater(load_json(self.path("ft/metrics.json"))["val"]["accuracy"], 0.8)
        cfg = load_json(self.path("ft/config.json"))
        self.assertTrue(cfg["rcps"])
        self.assertFalse(cfg["provenance"]["freeze_backbone"])
        _, out, _ = run("info", self.path("ft"))
        self.assertIn("Caduceus-PS", out)
        self.assertIn("82624", out.replace(",", ""))  # same parameters, released key names
        run("predict", "-m", self.path("ft"), "-o", self.path("p.tsv"), self.path("t.csv"))
        self.assertEqual(len(read_text(self.path("p.tsv")).splitlines()), 121)

    def test_masked_lm_tracks(self):
        d, fa, _ = self.golden("caduceus_ps_L1024_B1")
        with open(fa) as f:
            seq = f.read().split("\n")[1][:150]
        with open(self.path("s.fa"), "w") as f:
            f.write(">s\n" + seq + "\n")
        run("predict", "-m", d, "--mlm-context", "60", "-o", self.path("m.bedgraph"), self.path("s.fa"))
        # -@ 2 runs two masked passes side by side: the same values, bit for bit
        run("predict", "-m", d, "--mlm-context", "60", "-@", "2", "-o", self.path("m2.bedgraph"), self.path("s.fa"))
        self.assertEqual(read_text(self.path("m2.bedgraph")), read_text(self.path("m.bedgraph")))
        run("predict", "-m", d, "--mlm-context", "60", "--rc", "-o", self.path("r.bedgraph"), self.path("s.fa"))
        m = np.loadtxt(self.path("m.bedgraph"), usecols=3)
        r = np.loadtxt(self.path("r.bedgraph"), usecols=3)
        self.assertEqual(len(m), 150)  # every base has a masked marginal (no first-base gap)
        self.assertTrue((m < 0).all() and (m > -20).all())
        # PS is RC-equivariant: the reverse strand's masked marginal of the complement is the same.
        np.testing.assert_allclose(m, r, atol=1e-4)
        run("predict", "-m", d, "--mlm-context", "60", "--track", "entropy", "-o", self.path("e.bedgraph"),
            self.path("s.fa"))
        e = np.loadtxt(self.path("e.bedgraph"), usecols=3)
        self.assertTrue((e >= 0).all() and (e <= np.log(4) + 1e-6).all())
        # prob: the masked base's probability itself.
        run("predict", "-m", d, "--mlm-context", "60", "--track", "prob", "-o", self.path("p.bedgraph"),
            self.path("s.fa"))
        np.testing.assert_allclose(np.loadtxt(self.path("p.bedgraph"), usecols=3), np.exp(m), rtol=2e-6)


class SequenceTableTests(Tmp):
    """predict -o OUT.tsv with an LM: a row per sequence, each track summed and averaged over it."""

    def table(self, text):
        lines = text.splitlines()
        header = lines[0].split("\t")
        return header, [dict(zip(header, l.split("\t"))) for l in lines[1:]]

    def bedgraph_values(self, path):
        return np.array([float(l.split("\t")[3]) for l in read_text(path).splitlines()])

    def test_regions_reads_and_tables_agree_with_the_per_base_tracks(self):
        regions = ["NC_001416.1:1-1000", "NC_001416.1:2001-2500"]
        _, out, _ = run("predict", "-m", MODEL, "--track", "loglik,entropy", "-o", "-", "-O", "tsv", LAMBDA, *regions)
        header, rows = self.table(out)
        self.assertEqual(header, ["id", "chrom", "start", "end", "length", "loglik_bases", "loglik_sum",
                                  "loglik_mean", "entropy_bases", "entropy_sum", "entropy_mean", "bits_per_base"])
        self.assertEqual([(r["id"], r["chrom"], r["start"], r["end"], r["length"]) for r in rows],
                         [(regions[0], "NC_001416.1", "0", "1000", "1000"),
                          (regions[1], "NC_001416.1", "2000", "2500", "500")])
        for region, row in zip(regions, rows):
            run("predict", "-m", MODEL, "-o", self.path("l.bedgraph"), LAMBDA, region)
            run("predict", "-m", MODEL, "--track", "entropy", "-o", self.path("e.bedgraph"), LAMBDA, region)
            ll, ent = self.bedgraph_values(self.path("l.bedgraph")), self.bedgraph_values(self.path("e.bedgraph"))
            self.assertEqual(int(row["loglik_bases"]), len(ll))  # every base but the first
            self.assertAlmostEqual(float(row["loglik_sum"]), ll.sum(), delta=1e-3)
            self.assertAlmostEqual(float(row["loglik_mean"]), ll.mean(), places=5)
            self.assertAlmostEqual(float(row["entropy_mean"]), ent.mean(), places=5)
            self.assertAlmostEqual(float(row["bits_per_base"]), -ll.mean() / math.log(2), places=5)
        # The same table from a file, side by side, in shards, and with the regions in a BED.
        run("predict", "-m", MODEL, "--track", "loglik,entropy", "-o", self.path("t.tsv"), LAMBDA, *regions)
        self.assertEqual(read_text(self.path("t.tsv")), out)
        _, two, _ = run("predict", "-m", MODEL, "--track", "loglik,entropy", "-@", "2", "-o", "-", "-O", "tsv",
                        LAMBDA, *regions)
        self.assertEqual(two, out)
        parts = [run("predict", "-m", MODEL, "--track", "loglik,entropy", "--shard", f"{i}/2", "-o", "-", "-O", "tsv",
                     LAMBDA, *regions)[1].splitlines() for i in (1, 2)]
        self.assertEqual(parts[0] + parts[1][1:], out.splitlines())
        # A table of sequences (CSV) and reads (BAM): one row each, no coordinates for the table.
        with open(self.path("t.csv"), "w") as f:
            f.write("sequence,label\nACGTACGTAC,1\nA,0\n")
        _, out, _ = run("predict", "-m", MODEL, "-o", "-", self.path("t.csv"))
        _, rows = self.table(out)
        self.assertEqual([(r["id"], r["chrom"], r["length"], r["loglik_bases"]) for r in rows],
                         [("1", "", "10", "9"), ("2", "", "1", "0")])
        self.assertEqual((rows[1]["loglik_mean"], rows[1]["bits_per_base"]), ("NA", "NA"))  # one base: no value
        if os.path.exists(EX1_BAM):
            _, out, _ = run("predict", "-m", MODEL, "-o", "-", "-O", "tsv", EX1_BAM, "chr1:100-120")
            _, rows = self.table(out)
            self.assertEqual(rows[0]["id"], "EAS56_57:6:190:289:82/1")
            self.assertEqual((rows[0]["chrom"], rows[0]["start"], rows[0]["length"]), ("chr1", "99", "35"))
            _, _, err = run("predict", "-m", MODEL, "-o", self.path("x.bedgraph"), EX1_BAM, expect=2)
            self.assertIn("per-base tracks are in reference coordinates and need a FASTA input (for a row per "
                          "read, write a table: -o OUT.tsv)", err)
        # Per-base options that a table does not take.
        _, _, err = run("predict", "-m", MODEL, "--context", "100", "-o", self.path("x.tsv"), LAMBDA, regions[0],
                        expect=2)
        self.assertIn("--context applies to per-base tracks, not to a per-sequence table", err)
        self.assertFalse(os.path.exists(self.path("x.tsv")))

    def test_masked_lm_pseudo_log_likelihood(self):
        region = "NC_001416.1:44001-44060"
        _, out, _ = run("predict", "-m", "dnassm-caduceus-small", "--mlm-context", "32", "-o", "-", "-O", "tsv", LAMBDA,
                        region)
        _, rows = self.table(out)
        run("predict", "-m", "dnassm-caduceus-small", "--mlm-context", "32", "-o", self.path("m.bedgraph"), LAMBDA,
            region)
        m = self.bedgraph_values(self.path("m.bedgraph"))
        self.assertEqual(int(rows[0]["loglik_bases"]), 60)  # a masked marginal at every base
        self.assertAlmostEqual(float(rows[0]["loglik_sum"]), m.sum(), delta=1e-3)


class CompressedOutputTests(Tmp):
    """Text outputs named .gz are BGZF (bgzip), and --write-index indexes them as samtools/bcftools."""

    def gz_text(self, name):
        import gzip
        with open(self.path(name), "rb") as f:
            head = f.read(16)
        # BGZF: a gzip member with the "BC" extra field (RFC 1952 FEXTRA, SAM spec 4.1).
        self.assertEqual((head[:4], head[12:14]), (b"\x1f\x8b\x08\x04", b"BC"), name)
        with gzip.open(self.path(name), "rt") as f:
            return f.read()

    def index_magic(self, name):
        import gzip
        with gzip.open(self.path(name), "rb") as f:
            return f.read(4)

    def test_tracks_calls_and_tables(self):
        region = "NC_001416.1:1-3000"
        run("predict", "-m", MODEL, "-o", self.path("t.bedgraph"), LAMBDA, region)
        run("predict", "-m", MODEL, "-o", self.path("t.bedgraph.gz"), "--write-index", LAMBDA, region)
        self.assertEqual(self.gz_text("t.bedgraph.gz"), read_text(self.path("t.bedgraph")))
        self.assertEqual(self.index_magic("t.bedgraph.gz.tbi"), b"TBI\x01")
        if shutil.which("tabix"):
            q = subprocess.run(["tabix", self.path("t.bedgraph.gz"), "NC_001416.1:101-102"], capture_output=True,
                               text=True, check=True).stdout
            self.assertEqual([l.split("\t")[1] for l in q.splitlines()], ["100", "101"])
        run("predict", "-m", MODEL, "--track", "loglik,entropy", "-o", self.path("m.{track}.bedgraph.gz"),
            "--write-index", LAMBDA, region)
        self.assertEqual(self.gz_text("m.loglik.bedgraph.gz"), read_text(self.path("t.bedgraph")))
        self.assertEqual(self.index_magic("m.entropy.bedgraph.gz.tbi"), b"TBI\x01")
        # Calls: from predict, and from the compressed track with dnassm call; merge writes .gz too.
        run("predict", "-m", MODEL, "--threshold", "-1", "-o", self.path("c.bed"), LAMBDA, region)
        run("predict", "-m", MODEL, "--threshold", "-1", "-o", self.path("c.bed.gz"), "--write-index", LAMBDA, region)
        self.assertEqual(self.gz_text("c.bed.gz"), read_text(self.path("c.bed")))
        self.assertEqual(self.index_magic("c.bed.gz.tbi"), b"TBI\x01")
        run("call", "--threshold", "-1", "--name", "loglik", "-o", self.path("k.bed.gz"), self.path("t.bedgraph.gz"))
        self.assertEqual(self.gz_text("k.bed.gz"), read_text(self.path("c.bed")))
        run("merge", "-o", self.path("g.bedgraph.gz"), "--write-index", self.path("t.bedgraph.gz"))
        self.assertEqual(self.gz_text("g.bedgraph.gz"), read_text(self.path("t.bedgraph")))
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("p.tsv"), LAMBDA, region)
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("p.tsv.gz"), LAMBDA, region)
        self.assertEqual(self.gz_text("p.tsv.gz"), read_text(self.path("p.tsv")))
        # What cannot be compressed or indexed is refused before any work, and nothing is written.
        for args, msg in [(["predict", "-o", self.path("x.bw.gz")], "x.bw.gz: a .gz name compresses text output"),
                          (["embed", "-o", self.path("x.npy.gz")], "x.npy.gz: a .gz name compresses text output"),
                          (["predict", "-o", self.path("x.bw"), "--write-index"],
                           "x.bw: --write-index indexes .bed.gz, .bedgraph.gz, .vcf.gz and .bcf"),
                          (["predict", "-o", self.path("x.bedgraph"), "--write-index"], "x.bedgraph: --write-index"),
                          (["predict", "-o", "-", "--write-index"], "--write-index: standard output cannot be indexed")]:
            _, _, err = run(args[0], "-m", MODEL, *args[1:], LAMBDA, region, expect=2)
            self.assertIn(msg, err)
        self.assertFalse([f for f in os.listdir(self.tmp) if f.startswith("x.")])
        # A truncated compressed track: one line naming it (HTSlib's own messages stay quiet).
        with open(self.path("t.bedgraph.gz"), "rb") as f, open(self.path("cut.bedgraph.gz"), "wb") as g:
            g.write(f.read(3000))
        _, _, err = run("call", "--threshold", "-1", "-o", self.path("x.bed"), self.path("cut.bedgraph.gz"), expect=1)
        self.assertEqual(err.strip().splitlines(),
                         [f"dnassm call: {self.path('cut.bedgraph.gz')}: read error at line 1 (truncated or corrupt "
                          "compressed file?)"])
        self.assertFalse(os.path.exists(self.path("x.bed")))

    def test_score_vcf_and_tsv(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        write_vcf(self.path("v.vcf"), [("NC_001416.1", p, seq[p - 1], other[seq[p - 1]]) for p in (1000, 2000, 3000)])
        args = ["score", "-m", MODEL, "--vcf", self.path("v.vcf"), "--score-window", "100"]
        run(*args, "-o", self.path("s.tsv"), LAMBDA)
        run(*args, "-o", self.path("s.tsv.gz"), LAMBDA)
        self.assertEqual(self.gz_text("s.tsv.gz"), read_text(self.path("s.tsv")))
        run(*args, "-o", self.path("s.vcf.gz"), "--write-index", LAMBDA)
        self.assertEqual(self.index_magic("s.vcf.gz.tbi"), b"TBI\x01")
        self.assertEqual(len([l for l in self.gz_text("s.vcf.gz").splitlines() if not l.startswith("#")]), 3)
        run(*args, "-o", self.path("s.bcf"), "--write-index", LAMBDA)
        self.assertEqual(self.index_magic("s.bcf.csi"), b"CSI\x01")
        _, _, err = run(*args, "-o", self.path("x.tsv"), "--write-index", LAMBDA, expect=2)
        self.assertIn("x.tsv: --write-index indexes", err)


class ScoreTests(Tmp):
    def write_vcf(self, rows, contig_length=48502):
        return write_vcf(self.path("v.vcf"), rows, contig_length)

    def test_tsv_vcf_split_skips_and_llr_equals_predict(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        vcf = self.write_vcf([
            ("NC_001416.1", 5000, seq[4999], other[seq[4999]]),
            ("NC_001416.1", 6000, seq[5999], other[seq[5999]] + "," + other[other[seq[5999]]]),
            ("NC_001416.1", 7000, seq[6999:7002], seq[6999]),
            ("NC_001416.1", 8000, other[seq[7999]], seq[7999]),       # REF mismatch
            ("NC_001416.1", 9000, seq[8999], "<DEL>"),               # symbolic
            ("NC_001416", 9500, seq[9499], other[seq[9499]]),         # the FASTA's contig, unversioned
        ])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", self.path("s.tsv"), LAMBDA)
        self.assertIn("NC_001416.1:8000 " + other[seq[7999]] + ": REF does not match the FASTA", err)
        self.assertIn("symbolic or missing ALT", err)
        self.assertIn("NC_001416:9500 " + seq[9499] + ": contig not in " + LAMBDA +
                      " (the input has 'NC_001416.1': contig names must match exactly)", err)
        self.assertIn("4 alleles scored, 3 skipped (of 6 records)", err)
        rows = [l.split("\t") for l in read_text(self.path("s.tsv")).splitlines()]
        self.assertEqual(rows[0], ["CHROM", "POS", "REF", "ALT", "llr", "emb_l2", "emb_cos"])
        self.assertEqual([(r[1], r[3]) for r in rows[1:]],
                         [("5000", other[seq[4999]]), ("6000", other[seq[5999]]),
                          ("6000", other[other[seq[5999]]]), ("7000", seq[6999])])
        # llr of the SNV = Σ loglik over the ALT window − Σ over the REF window, via predict.
        ref_win = seq[4899:5099]
        alt_win = ref_win[:100] + other[seq[4999]] + ref_win[101:]
        sums = []
        for name, w in (("r", ref_win), ("a", alt_win)):
            with open(self.path(name + ".fa"), "w") as f:
                f.write(">w\n" + w + "\n")
            run("predict", "-m", MODEL, "-o", self.path(name + ".bedgraph"), self.path(name + ".fa"))
            sums.append(np.loadtxt(self.path(name + ".bedgraph"), usecols=3).sum())
        self.assertAlmostEqual(float(rows[1][4]), sums[1] - sums[0], places=3)
        self.assertGreater(float(rows[1][5]), 0)
        run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "--rc", "-o", self.path("s.vcf.gz"), LAMBDA)
        import gzip
        with gzip.open(self.path("s.vcf.gz"), "rt") as f:
            body = [l.split("\t") for l in f if not l.startswith("#")]
        self.assertEqual(len(body), 6)  # every record kept; skipped ones without scores
        self.assertIn("DNASSM_LLR=", body[1][7])
        self.assertEqual(len(body[1][7].split(";")[0].split("=")[1].split(",")), 2)  # Number=A
        self.assertIn("DNASSM_LLR=.", body[3][7])
        # Standard output: the same TSV; a VCF (-O vcf) with the same records and its provenance.
        _, out, _ = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", "-", LAMBDA)
        self.assertEqual(out, read_text(self.path("s.tsv")))
        _, out, _ = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-@", "2", "-o", "-", LAMBDA)
        self.assertEqual(out, read_text(self.path("s.tsv")))  # variants scored side by side
        _, out, _ = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "--rc", "-o", "-", "-O", "vcf",
                        LAMBDA)
        self.assertEqual([l.split("\t") for l in out.splitlines(keepends=True) if not l.startswith("#")], body)
        self.assertIn("##dnassmVersion=", out)
        self.assertIn(f"##dnassmCommand=dnassm score -m {MODEL} --vcf {vcf} --score-window 200 --rc -o - -O vcf",
                      out)
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "-o", "-", "-O", "bcf", LAMBDA, expect=2)
        self.assertIn("standard output takes text formats (bedgraph, bed, tsv, vcf), not bcf", err)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["a.bedgraph", "a.fa", "a.fa.fai", "r.bedgraph", "r.fa",
                                                        "r.fa.fai", "s.tsv", "s.vcf.gz", "v.vcf"])

    def test_scores_equal_whole_window_runs(self):
        """score runs the bases REF and ALT windows share once (streaming models); its scores must
        equal those of the two whole windows, computed here with predict and embed."""
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
        variants = [(5000, seq[4999], other[seq[4999]]),         # SNV
                    (7000, seq[6999:7003], seq[6999]),           # deletion
                    (9000, seq[8999], seq[8999] + "TTA"),        # insertion
                    (60, seq[59], other[seq[59]])]               # window clipped at the contig start
        vcf = self.write_vcf([("NC_001416.1", p, r, a) for p, r, a in variants])
        window = 200
        for rc in (False, True):
            args = ["--rc"] if rc else []
            run("score", "-m", MODEL, "--vcf", vcf, "--score-window", str(window), *args, "-o", self.path("s.tsv"),
                LAMBDA)
            rows = [l.split("\t") for l in read_text(self.path("s.tsv")).splitlines()[1:]]
            self.assertEqual(len(rows), len(variants))
            with open(self.path(f"w{int(rc)}.fa"), "w") as f:
                for i, (pos, ref, alt) in enumerate(variants):
                    beg = max(0, pos - 1 - window // 2)
                    ref_win = seq[beg:beg + window]
                    off = pos - 1 - beg
                    alt_win = ref_win[:off] + alt + ref_win[off + len(ref):]
                    strands = [(ref_win, alt_win)]
                    if rc:
                        strands.append(tuple("".join(comp[c] for c in reversed(w)) for w in (ref_win, alt_win)))
                    for k, (r, a) in enumerate(strands):
                        f.write(f">v{i}_{k}_ref\n{r}\n>v{i}_{k}_alt\n{a}\n")
            run("predict", "-m", MODEL, "-o", self.path("w.bedgraph"), self.path(f"w{int(rc)}.fa"))
            ll = {}
            for line in read_text(self.path("w.bedgraph")).splitlines():
                c, b, e, v = line.split("\t")
                ll[c] = ll.get(c, 0.0) + float(v) * (int(e) - int(b))
            run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("w.tsv"), self.path(f"w{int(rc)}.fa"))
            mean = {l.split("\t")[0]: np.array([float(x) for x in l.split("\t")[4:]])
                    for l in read_text(self.path("w.tsv")).splitlines()[1:]}
            for i, row in enumerate(rows):
                llr, l2, cos = [], [], []
                for k in range(2 if rc else 1):
                    r, a = mean[f"v{i}_{k}_ref"], mean[f"v{i}_{k}_alt"]
                    llr.append(ll[f"v{i}_{k}_alt"] - ll[f"v{i}_{k}_ref"])
                    l2.append(np.linalg.norm(r - a))
                    cos.append(1 - r @ a / (np.linalg.norm(r) * np.linalg.norm(a)))
                self.assertAlmostEqual(float(row[4]), np.mean(llr), delta=2e-3, msg=(rc, row))
                self.assertAlmostEqual(float(row[5]), np.mean(l2), delta=1e-4 + 1e-3 * np.mean(l2), msg=(rc, row))
                self.assertAlmostEqual(float(row[6]), np.mean(cos), delta=2e-6 + 1e-3 * np.mean(cos), msg=(rc, row))

    def test_shards_score_consecutive_blocks_of_records(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        vcf = self.write_vcf([("NC_001416.1", p, seq[p - 1], other[seq[p - 1]]) for p in range(1000, 8000, 700)])
        run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("all.tsv"), LAMBDA)
        rows = read_text(self.path("all.tsv")).splitlines()
        self.assertEqual(len(rows), 11)
        got = []
        for i in (1, 2, 3):
            _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "--shard", f"{i}/3", "-o",
                            self.path(f"{i}.tsv"), LAMBDA)
            part = read_text(self.path(f"{i}.tsv")).splitlines()
            self.assertEqual(part[0], rows[0])
            self.assertIn(f"(of {len(part) - 1} records, shard {i}/3 of 10)", err)
            got += part[1:]
        self.assertEqual(got, rows[1:])  # in shard order: the unsharded rows
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--shard", "11/11", "-o", self.path("x.tsv"), LAMBDA,
                        expect=2)
        self.assertIn(f"--shard 11/11: more shards than the 10 records of {vcf}", err)

    def test_regions_restrict_records_as_bcftools_t(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        rows = [("NC_001416.1", p, seq[p - 1], other[seq[p - 1]]) for p in range(1000, 8000, 700)]
        rows.append(("NC_001416.1", 2995, seq[2994:3000], seq[2994]))  # a deletion reaching into the region
        vcf = self.write_vcf(rows)
        args = ["score", "-m", MODEL, "--vcf", vcf, "--score-window", "100"]
        run(*args, "-o", self.path("all.tsv"), LAMBDA)
        every = read_text(self.path("all.tsv")).splitlines()
        want = [every[0]] + [l for l in every[1:] if int(l.split("\t")[1]) in (2995, 3100, 3800)]
        self.assertEqual(len(want), 4)
        _, _, err = run(*args, "-r", "NC_001416.1:3000-3800", "-o", self.path("r.tsv"), LAMBDA)
        self.assertEqual(read_text(self.path("r.tsv")).splitlines(), want)
        self.assertIn("3 alleles scored, 0 skipped (of 3 records in the regions; 8 outside)", err)
        _, out, _ = run(*args, "-o", "-", LAMBDA, "NC_001416.1:3000-3800")
        self.assertEqual(out.splitlines(), want)
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t2999\t3100\nNC_001416.1\t3700\t3800\n")
        run(*args, "-R", self.path("r.bed"), "-o", self.path("b.tsv"), LAMBDA)
        self.assertEqual(read_text(self.path("b.tsv")).splitlines(), want)
        # A VCF output keeps only the records in the regions, as bcftools view -t.
        _, out, _ = run(*args, "-r", "NC_001416.1:3000-3800", "-o", "-", "-O", "vcf", LAMBDA)
        self.assertEqual([l.split("\t")[1] for l in out.splitlines() if not l.startswith("#")],
                         ["3100", "3800", "2995"])
        _, _, err = run(*args, "-r", "chrX:1-10", "-o", self.path("x.tsv"), LAMBDA, expect=1)
        self.assertIn("chrX", err)
        # Options score does not use are refused, not ignored.
        for opt in (["--window", "50"], ["--chunk", "50"], ["-q", "20"], ["--exact-tiling"]):
            _, _, err = run(*args, *opt, "-o", self.path("x.tsv"), LAMBDA, expect=2)
            self.assertIn(f"unrecognised option '{opt[0]}'", err)
        self.assertFalse(os.path.exists(self.path("x.tsv")))

    def test_soft_masked_reference_and_progress(self):
        seq = lambda_seq()[:3000]
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        for name, s in (("upper.fa", seq), ("soft.fa", seq[:1000] + seq[1000:2000].lower() + seq[2000:])):
            with open(self.path(name), "w") as f:
                f.write(">NC_001416.1\n" + s + "\n")
        vcf = self.write_vcf([("NC_001416.1", p, seq[p - 1], other[seq[p - 1]]) for p in (900, 1500, 2500)])
        args = ["score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", "-"]
        _, upper, _ = run(*args, self.path("upper.fa"))
        _, soft, err = run(*args, "--progress", "json", self.path("soft.fa"))
        self.assertEqual(soft, upper)  # soft-masked bases are bases
        events = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
        self.assertEqual((events[-1]["event"], events[-1]["records_done"], events[-1]["records_total"]),
                         ("done", 3, 3))
        _, kept, _ = run(*args, "--keep-case", self.path("soft.fa"))
        kept = [l.split("\t") for l in kept.splitlines()]
        upper = [l.split("\t") for l in upper.splitlines()]
        self.assertEqual(kept[3], upper[3])  # 2500: its window has no lowercase base
        self.assertNotEqual(kept[2][4], upper[2][4])  # 1500: a window of [UNK]s scores differently

    def test_long_alleles_and_a_model_with_a_length_limit(self):
        seq = lambda_seq()
        vcf = self.write_vcf([
            ("NC_001416.1", 3000, seq[2999:3700], seq[2999]),        # a 700-base deletion
            ("NC_001416.1", 5000, seq[4999], seq[4999] + "ACG"),     # an insertion
            ("NC_001416.1", 6000, seq[5999], "A" * 1100),            # longer than HyenaDNA takes
            ("NC_001416.1", 7000, seq[6999], "T" if seq[6999] != "T" else "C")])
        # Mamba: the deletion reaches past a 200-base window and is skipped, not a crash.
        _, out, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", "-", LAMBDA)
        self.assertIn(f"NC_001416.1:3000 {seq[2999:3011]}...(701 bp): REF of 701 bases reaches past the "
                      "--score-window around it", err)
        self.assertEqual([l.split("\t")[1] for l in out.splitlines()[1:]], ["5000", "6000", "7000"])
        # Small distances are written with their digits, not as 0.000000.
        cos = float(out.splitlines()[3].split("\t")[6])
        self.assertGreater(cos, 0)
        self.assertLess(cos, 1e-3)
        # HyenaDNA (l_max 1026): a window longer than that is refused before any output; an ALT
        # window the insertion makes too long loses bases on the right in both windows.
        _, _, err = run("score", "-m", HYENA, "--vcf", vcf, "--score-window", "2000", "-o", self.path("h.tsv"),
                        LAMBDA, expect=2)
        self.assertIn("--score-window 2000 is longer than the model's limit of 1026 bases", err)
        self.assertFalse(os.path.exists(self.path("h.tsv")))
        _, out, err = run("score", "-m", HYENA, "--vcf", vcf, "--score-window", "1026", "-o", "-", LAMBDA)
        self.assertIn("NC_001416.1:6000 " + seq[5999] + " AAAAAAAAAAAA...(1100 bp): ALT of 1100 bases does not fit "
                      "in the model's limit of 1026 bases", err)
        rows = {l.split("\t")[1]: l.split("\t") for l in out.splitlines()[1:]}
        self.assertEqual(sorted(rows), ["5000", "7000"])  # the deletion reaches past 513 bases too
        beg = 4999 - 513
        ref_win = seq[beg:beg + 1026][:1023]
        alt_win = (seq[beg:4999] + seq[4999] + "ACG" + seq[5000:beg + 1026])[:1026]
        with open(self.path("w.fa"), "w") as f:
            f.write(f">ref\n{ref_win}\n>alt\n{alt_win}\n")
        run("predict", "-m", HYENA, "-o", self.path("w.bedgraph"), self.path("w.fa"))
        ll = {"ref": 0.0, "alt": 0.0}
        for line in read_text(self.path("w.bedgraph")).splitlines():
            c, b, e, v = line.split("\t")
            ll[c] += float(v) * (int(e) - int(b))
        self.assertAlmostEqual(float(rows["5000"][4]), ll["alt"] - ll["ref"], delta=2e-3)

    def test_a_vcf_of_another_assembly_is_pointed_out(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        # REF taken from one base further on: mostly wrong.
        self.write_vcf([("NC_001416.1", p, seq[p], other[seq[p]]) for p in range(1000, 6000, 1000)], 48000)
        _, _, err = run("score", "-m", MODEL, "--vcf", self.path("v.vcf"), "--score-window", "100", "-o",
                        self.path("s.tsv"), LAMBDA)
        self.assertIn(f"v.vcf: contig NC_001416.1 is 48000 bases in the VCF header but 48502 in {LAMBDA} "
                      "(called against another assembly?)", err)
        wrong = sum(seq[p] != seq[p - 1] for p in range(1000, 6000, 1000))
        self.assertGreater(wrong, 0)
        self.assertIn(f"the REF of {wrong} of 5 records does not match {LAMBDA}: was {self.path('v.vcf')} called "
                      "against another reference?", err)
        # A VCF of this assembly hears neither.
        vcf = self.write_vcf([("NC_001416.1", p, seq[p - 1], other[seq[p - 1]]) for p in (1000, 2000)])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("s.tsv"), LAMBDA)
        self.assertNotIn("another", err)

    def test_nothing_scored_is_an_error_not_an_empty_table(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        # Contigs named as another reference names them, or REFs of another: every record skipped.
        for contig, shift, why in (("lambda", 0, "contig not in"), ("NC_001416.1", 1, "REF does not match")):
            where = [p for p in range(1000, 2000, 100) if seq[p - 1] != seq[p]][:3]
            vcf = self.write_vcf([(contig, p, seq[p - 1 + shift], other[seq[p - 1 + shift]]) for p in where])
            out = "s.vcf.gz" if shift else "s.tsv"
            _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path(out),
                            LAMBDA, expect=1)
            self.assertIn(why, err)
            self.assertEqual(err.strip().splitlines()[-1],
                             f"dnassm score: {vcf}: none of its 3 records could be scored (reasons above)")
            self.assertFalse(os.path.exists(self.path(out)))
        # One scored allele is a result; no record in the regions is an empty result, not an error.
        vcf = self.write_vcf([("NC_001416.1", 9000, seq[8999], "<DEL>"),
                              ("NC_001416.1", 9500, seq[9499], other[seq[9499]])])
        run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("s.tsv"), LAMBDA)
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-r", "NC_001416.1:1-100",
                        "-o", self.path("e.tsv"), LAMBDA)
        self.assertIn("0 alleles scored, 0 skipped (of 0 records in the regions; 2 outside)", err)
        self.assertEqual(read_text(self.path("e.tsv")).splitlines(), ["CHROM\tPOS\tREF\tALT\tllr\temb_l2\temb_cos"])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-r", "NC_001416.1:9000-9000",
                        "-o", self.path("x.tsv"), LAMBDA, expect=1)
        self.assertIn("none of its 1 record in the regions could be scored", err)

    def test_vcf_output_keeps_what_the_header_does_not_declare(self):
        """Many VCFs lack ##contig lines or declare no INFO tags. A VCF/BCF output must keep every
        field of every record, and a BCF must name its contigs."""
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        with open(self.path("v.vcf"), "w") as f:
            f.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
            for p, info in ((1000, "DP=7"), (2000, "SRC=caller;SOMATIC")):
                f.write(f"NC_001416.1\t{p}\trs{p}\t{seq[p - 1]}\t{other[seq[p - 1]]}\t30\tPASS\t{info}\n")
        args = ["score", "-m", MODEL, "--score-window", "100"]
        _, tsv, _ = run(*args, "--vcf", self.path("v.vcf"), "-o", "-", LAMBDA)
        for out in ("s.vcf", "s.vcf.gz", "s.bcf"):
            run(*args, "--vcf", self.path("v.vcf"), "-o", self.path(out), LAMBDA)
            # Read back through dnassm itself (a BCF is binary): the same records and scores.
            _, text, _ = run(*args, "--vcf", self.path(out), "-o", "-", "-O", "vcf", LAMBDA)
            body = [l.split("\t") for l in text.splitlines() if not l.startswith("#")]
            self.assertEqual([r[:7] for r in body],
                             [["NC_001416.1", str(p), f"rs{p}", seq[p - 1], other[seq[p - 1]], "30", "PASS"]
                              for p in (1000, 2000)], out)
            self.assertTrue(body[0][7].startswith("DP=7;DNASSM_LLR="), out)
            self.assertTrue(body[1][7].startswith("SRC=caller;SOMATIC;DNASSM_LLR="), out)
            self.assertIn("##contig=<ID=NC_001416.1,length=48502>", text)
            _, again, _ = run(*args, "--vcf", self.path(out), "-o", "-", LAMBDA)
            self.assertEqual(again, tsv)
        # From standard input no first pass can find them: a VCF output is refused, a table is not.
        with open(self.path("v.vcf"), "rb") as f:
            data = f.read()
        _, _, err = run(*args, "--vcf", "-", "-o", self.path("x.vcf"), LAMBDA, stdin=data, expect=1)
        self.assertIn("-: NC_001416.1:1000: a contig or INFO/FORMAT tag its header does not declare", err)
        self.assertFalse(os.path.exists(self.path("x.vcf")))
        _, out, _ = run(*args, "--vcf", "-", "-o", "-", LAMBDA, stdin=data)
        self.assertEqual(out, tsv)

    def test_bad_vcf(self):
        with open(self.path("bad.vcf"), "w") as f:
            f.write("this is not a vcf\n")
        _, _, err = run("score", "-m", MODEL, "--vcf", self.path("bad.vcf"), "-o", self.path("s.tsv"), LAMBDA, expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("bad.vcf: not a VCF/BCF file, or its header is malformed", err)
        self.assertFalse(os.path.exists(self.path("s.tsv")))
        # Records HTSlib reads without a REF (a line cut short, an empty line) crashed score once:
        # found by mutating a VCF at random.
        seq = lambda_seq()
        good = f"NC_001416.1\t100\t.\t{seq[99]}\t{'A' if seq[99] != 'A' else 'C'}\t.\tPASS\t.\n"
        header = "##fileformat=VCFv4.2\n##contig=<ID=NC_001416.1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        samples = header.replace("#CHROM", '##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n#CHROM')
        samples = samples.replace("INFO\n", "INFO\tFORMAT\ts1\n")
        for head, body, msg in [
                (header, good + "NC_0014\n", "record 2 (NC_0014:1) is malformed: no REF allele"),
                (header, good + "\n" + good, "record 2 is malformed: no REF allele (an empty or truncated line?)"),
                (samples, good.replace("\n", "\tGT\t0/1\n") + "NC_001416.1\t200\t.\tAACA,ATT\t.\t.\t.\tGT\t1/2\n",
                 "record 2 cannot be parsed (a malformed line)")]:
            with open(self.path("bad.vcf"), "w") as f:
                f.write(head + body)
            for out in ("s.tsv", "s.vcf.gz"):
                _, _, err = run("score", "-m", MODEL, "--vcf", self.path("bad.vcf"), "--score-window", "100", "-o",
                                self.path(out), LAMBDA, expect=1)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertTrue(err.startswith(f"dnassm score: {self.path('bad.vcf')}: {msg}"), err)
                self.assertFalse(os.path.exists(self.path(out)))
        # A POS that is 0 or no number is reported and skipped, not read as base 1.
        with open(self.path("pos.vcf"), "w") as f:
            f.write(header + good + "NC_001416.1\tX\t.\tA\tC\t.\t.\t.\n")
        _, _, err = run("score", "-m", MODEL, "--vcf", self.path("pos.vcf"), "--score-window", "100", "-o",
                        self.path("s.tsv"), LAMBDA)
        self.assertIn("NC_001416.1:0 A: POS is not a position from 1 (0, or not a number)", err)


class ConvertTests(Tmp):
    def torch_state_dict(self, golden):
        import struct
        import torch
        with open(os.path.join(golden, "model.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        out = {}
        for k, v in header.items():
            if k == "__metadata__":
                continue
            b, e = v["data_offsets"]
            dt = {"F32": "<f4", "I64": "<i8"}[v["dtype"]]
            out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt).reshape(v["shape"]).copy())
        return out

    def check_embed(self, model, golden):
        with open(os.path.join(golden, "sequence.txt")) as f:
            seq = f.read().strip()
        with open(self.path("s.fa"), "w") as f:
            f.write(">s\n" + seq + "\n")
        run("embed", "-m", model, "-o", self.path("h.npy"), self.path("s.fa"))
        want = np.load(os.path.join(golden, "hidden.npy"))[0]
        h = np.load(self.path("h.npy"))
        self.assertLess(np.linalg.norm(h - want) / np.linalg.norm(want), 1e-5)

    def test_pickles_and_safetensors_reproduce_golden_outputs(self):
        import torch
        gold = os.path.join(ROOT, "tests", "data", "golden")
        # HyenaDNA as a Lightning checkpoint (state_dict under "state_dict", keys prefixed "model.").
        h = os.path.join(gold, "hyenadna_tiny1k_L1024")
        os.makedirs(self.path("hsrc"))
        torch.save({"state_dict": {"model." + k: v for k, v in self.torch_state_dict(h).items()}, "epoch": 1},
                   self.path("hsrc/weights.ckpt"))
        shutil.copy(os.path.join(h, "config.json"), self.path("hsrc/config.json"))
        _, _, err = run("convert", self.path("hsrc/weights.ckpt"), "-o", self.path("h_out"))
        self.assertIn("hyena", err)
        self.check_embed(self.path("h_out"), h)
        # Caduceus-PS as an HF pytorch_model.bin (plain state_dict, int64 complement maps).
        c = os.path.join(gold, "caduceus_ps_L1024_B1")
        torch.save(self.torch_state_dict(c), self.path("c.bin"))
        run("convert", self.path("c.bin"), "--config", os.path.join(c, "config.json"), "-o", self.path("c_out"))
        self.check_embed(self.path("c_out"), c)
        # mamba_ssm safetensors folder: handled without Python.
        m = os.path.join(gold, "mamba1_rmsnorm_L2048_B2")
        run("convert", m, "-o", self.path("m_out"))
        self.assertTrue(os.path.exists(self.path("m_out/model.safetensors")))
        _, _, err = run("convert", m, "-o", self.path("m_out"), expect=2)
        self.assertIn("already exists", err)

    def test_bad_checkpoints(self):
        with open(self.path("junk.bin"), "wb") as f:
            f.write(b"junk data")
        _, _, err = run("convert", self.path("junk.bin"), "--config",
                        os.path.join(ROOT, "tests", "data", "golden", "caduceus_ps_L1024_B1", "config.json"),
                        "-o", self.path("out"), expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("junk.bin: not a PyTorch checkpoint", err)
        self.assertFalse(os.path.exists(self.path("out")))
        import torch
        torch.save({"x": torch.zeros(3)}, self.path("wrong.bin"))
        _, _, err = run("convert", self.path("wrong.bin"), "--config",
                        os.path.join(ROOT, "tests", "data", "golden", "caduceus_ps_L1024_B1", "config.json"),
                        "-o", self.path("out"), expect=1)
        self.assertIn("missing tensor", err)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["junk.bin", "wrong.bin"])  # nothing half-written


class InfoAndUsageTests(Tmp):
    def test_info(self):
        _, out, _ = run("info", MODEL)
        self.assertIn("family:      mamba", out)
        self.assertIn("parameters:  468608", out)
        self.assertIn('"trained_by":"dnassm pretrain"', out)
        self.assertIn("predicts:    loglik, entropy, prob (--track; per base, or summed per sequence with -o OUT.tsv)\n",
                      out)
        self.assertNotIn("task head", out)
        _, out, _ = run("info", GOLDEN_MODEL)
        self.assertIn("format:      mamba_ssm", out)
        self.assertIn("parameters:  66496", out)

    def test_version_help_and_usage_errors(self):
        _, out, _ = run("--version")
        self.assertRegex(out, r"^dnassm \d+\.\d+\.\d+")
        # The libraries, as samtools --version names HTSlib's.
        names = [l.split()[0] for l in out.splitlines()[1:]]
        self.assertEqual(names, ["htslib", "libBigWig", "hdf5", "fftw", "openblas", "boost", "backends:", "cuda:"])
        for line in out.splitlines()[1:7]:
            self.assertRegex(line.split()[1], r"^\d+\.\d+", line)
        _, only, _ = run("--version-only")
        self.assertEqual(only, out.split()[1] + "\n")
        # With --progress json an error is one JSON event on stderr, like the progress lines.
        for args, kind, code, needle in ((["-r", "nope"], "input", 1, "unknown contig 'nope'"),
                                         (["--bogus"], "usage", 2, "unrecognised option '--bogus'")):
            for progress in (["--progress", "json"], ["--progress=json"]):
                _, _, err = run("predict", "-m", MODEL, *progress, *args, "-o", self.path("x.bw"), LAMBDA, expect=code)
                self.assertEqual(len(err.splitlines()), 1, err)
                event = json.loads(err)
                self.assertEqual(list(event), ["event", "command", "kind", "exit_code", "message"])
                self.assertEqual((event["event"], event["command"], event["kind"], event["exit_code"]),
                                 ("error", "predict", kind, code))
                self.assertIn(needle, event["message"])
        for cmd in ("embed", "predict", "info"):
            _, out, _ = run(cmd, "--help")
            self.assertIn("Usage: dnassm " + cmd, out)
        run("frobnicate", expect=2)
        _, _, err = run("embed", "-m", MODEL, LAMBDA, expect=2)  # no -o
        self.assertIn("output", err)
        run("embed", "-m", MODEL, "--bogus", "-o", self.path("x.npy"), LAMBDA, expect=2)
        run("embed", "-m", MODEL, "-@", "0", "-o", self.path("x.npy"), LAMBDA, expect=2)
        run("embed", "-m", MODEL, "--device", "tpu", "-o", self.path("x.npy"), LAMBDA, expect=2)
        # A mistyped or misremembered option is named with the one it most likely meant.
        for cmd, opt, meant in (("score", "--window", "--score-window"), ("predict", "--treshold", "--threshold"),
                                ("embed", "--rc-average", "--rc"), ("embed", "--stirde", "--stride")):
            _, _, err = run(cmd, "-m", MODEL, opt, "1", "-o", self.path("x.tsv"), LAMBDA, expect=2)
            self.assertEqual(err, f"dnassm {cmd}: unrecognised option '{opt}' (did you mean {meant}?)\n")
        # Nothing is suggested when nothing is close: a short option, or a short name two edits away.
        for opt in ("--bogus", "-x", "--foo", "--force", "--xy"):
            _, _, err = run("embed", "-m", MODEL, opt, "-o", self.path("x.npy"), LAMBDA, expect=2)
            self.assertEqual(err, f"dnassm embed: unrecognised option '{opt}' (see 'dnassm embed --help')\n")
        self.assert_only_files()


class CompletionTests(Tmp):
    def complete(self, *words):
        """What tools/dnassm-completion.bash offers for the last of `words` (the dnassm under test on PATH)."""
        script = ("source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                  "_dnassm; printf '%s\\n' \"${COMPREPLY[@]}\"")
        p = subprocess.run(["bash", "-c", script, "bash", os.path.join(ROOT, "tools", "dnassm-completion.bash"),
                            "dnassm", *words], capture_output=True, text=True, cwd=self.tmp, check=True,
                           env={**os.environ, "PATH": os.path.dirname(os.path.abspath(DNASSM)) + os.pathsep + os.environ["PATH"]})
        return sorted(set(p.stdout.split()))

    def test_commands_options_models_and_values(self):
        self.assertEqual(self.complete("pr"), ["predict", "pretrain"])
        self.assertEqual(self.complete("score", "--sco"), ["--score-window"])  # from score --help
        self.assertEqual(self.complete("call", "--wr"), ["--write-index"])
        self.assertEqual(self.complete("embed", "--sco"), [])
        self.assertEqual(self.complete("predict", "-m", "dnassm-"), ["dnassm-caduceus-small", "dnassm-mamba-small"])
        self.assertEqual(self.complete("embed", "--device", "cu"), ["cuda", "cuda:0"])
        self.assertEqual(self.complete("finetune", "--task", "re"), ["regress"])
        self.assertEqual(self.complete("finetune", "--select", "p"), ["pearson"])
        self.assertEqual(self.complete("finetune", "--rc"), ["--rc-aug"])  # from finetune --help
        with open(self.path("genome.fa"), "w") as f:
            f.write(">c\nACGT\n")
        self.assertEqual(self.complete("embed", "-m", "x", "gen"), ["genome.fa"])


class BadInputTests(Tmp):
    def expect_error(self, args, needle, code=1, stdin=None):
        rc, _, err = run(*args, stdin=stdin, expect=None)
        self.assertEqual(rc, code, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected a one-line message, got:\n{err}")
        self.assertIn(needle, lines[0])
        self.assertNotIn("Traceback", err)

    def broken_model(self, mutate):
        d = self.path("model")
        shutil.copytree(MODEL, d)
        mutate(d)
        return d

    def test_truncated_and_corrupt_safetensors(self):
        out = self.path("out") + "/e.npy"
        os.makedirs(self.path("out"))

        def truncate(d):
            p = os.path.join(d, "model.safetensors")
            with open(p, "r+b") as f:
                f.truncate(os.path.getsize(p) // 2)
        m = self.broken_model(truncate)
        self.expect_error(["embed", "-m", m, "-o", out, LAMBDA], "model.safetensors: not a valid safetensors file")
        shutil.rmtree(m)

        def corrupt(d):
            with open(os.path.join(d, "model.safetensors"), "r+b") as f:
                f.seek(8)
                f.write(b"#garbage#")
        m = self.broken_model(corrupt)
        self.expect_error(["embed", "-m", m, "-o", out, LAMBDA], "not valid JSON")
        shutil.rmtree(m)

        def bad_config(d):
            with open(os.path.join(d, "config.json"), "w") as f:
                f.write('{"family": "mamba", "d_model": "wide"')
        m = self.broken_model(bad_config)
        self.expect_error(["embed", "-m", m, "-o", out, LAMBDA], "config.json: not valid JSON")
        shutil.rmtree(m)

        def wrong_shape(d):
            cfg = json.load(open(os.path.join(d, "config.json")))
            cfg["d_state"] = 8
            json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
        m = self.broken_model(wrong_shape)
        self.expect_error(["embed", "-m", m, "-o", out, LAMBDA], "expected [24, 256]")
        self.assertEqual(os.listdir(self.path("out")), [])

    def test_bad_sequences_and_regions(self):
        out = self.path("e.npy")
        bad = self.path("bad.fa")
        with open(bad, "w") as f:
            f.write(">x\nACGT--12ACGT\n")
        self.expect_error(["embed", "-m", MODEL, "-o", out, bad], "bad.fa: x: invalid base '-' at position 5")
        junk = self.path("junk.fa")
        with open(junk, "w") as f:
            f.write("hello world\nthis is not sequence\n")
        self.expect_error(["embed", "-m", MODEL, "-o", out, junk], "junk.fa")
        empty = self.path("empty.fa")
        open(empty, "w").close()
        self.expect_error(["embed", "-m", MODEL, "-o", out, empty], "empty.fa: empty file")
        self.expect_error(["embed", "-m", MODEL, "-r", "chrZ:1-100", "-o", out, LAMBDA],
                          "unknown contig 'chrZ' (the input's 1 contig: 'NC_001416.1')")
        # A name that differs only by convention (here the accession's version) is pointed out.
        self.expect_error(["embed", "-m", MODEL, "-r", "NC_001416:1-100", "-o", out, LAMBDA],
                          "unknown contig 'NC_001416' (the input has 'NC_001416.1': contig names must match exactly)")
        self.expect_error(["embed", "-m", MODEL, "-r", "NC_001416.1:500-100", "-o", out, LAMBDA], "NC_001416.1:500-100")
        self.expect_error(["embed", "-m", MODEL, "-r", "NC_001416.1:48000-49000", "-o", out, LAMBDA],
                          "ends beyond the end of NC_001416.1 (length 48502)")
        bed = self.path("empty_region.bed")
        with open(bed, "w") as f:
            f.write("NC_001416.1\t100\t100\n")
        self.expect_error(["embed", "-m", MODEL, "-R", bed, "-o", out, LAMBDA], "empty_region.bed:1")
        self.expect_error(["embed", "-m", MODEL, "-o", out, self.path("missing.fa")], "missing.fa: no such file")
        self.expect_error(["embed", "-m", self.path("nomodel"), "-o", out, LAMBDA], "model directory does not exist")
        self.expect_error(["embed", "-m", MODEL, "-r", "NC_001416.1:1-10", "-r", "NC_001416.1:20-30", "-o", out,
                           LAMBDA], "write .h5 instead", code=2)
        # A SAM whose second record is cut short, a FASTQ whose second quality string is: named by number.
        for name, text, needle in [
                ("cut.sam", "@SQ\tSN:c\tLN:100\nr1\t0\tc\t1\t60\t4M\t*\t0\t0\tACGT\t*\nr2\t0\tc\t5\t60\t4M\n",
                 "cut.sam: record 2 is truncated or corrupt"),
                ("cut.fq", "@r1\nACGT\n+\nIIII\n@r2\nACGTACGT\n+\nIII\n",
                 "cut.fq: record 2 ('r2'): quality string and sequence differ in length")]:
            with open(self.path(name), "w") as f:
                f.write(text)
            self.expect_error(["embed", "-m", MODEL, "--pool", "mean", "-o", self.path("e.tsv"), self.path(name)],
                              needle)
            os.remove(self.path(name))
        self.assert_only_files("bad.fa", "bad.fa.fai", "junk.fa", "empty.fa", "empty_region.bed")  # faidx index, as samtools builds it

    def test_unwritable_outputs(self):
        self.expect_error(["embed", "-m", MODEL, "-o", self.path("nodir/e.npy"), LAMBDA], "does not exist")
        self.expect_error(["embed", "-m", MODEL, "-o", self.tmp, LAMBDA], "unknown output type", code=2)
        os.makedirs(self.path("d.npy"))
        self.expect_error(["embed", "-m", MODEL, "-o", self.path("d.npy"), LAMBDA], "is a folder")
        self.expect_error(["predict", "-m", MODEL, "-o", self.path("x.wig"), LAMBDA], "unknown track type", code=2)
        self.assert_only_files("d.npy")


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
