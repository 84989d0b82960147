"""`dnassm embed`: per-base and pooled embeddings, tiling, strands and output options."""
import gzip
import json
import os
import signal
import subprocess
import sys
import unittest

import h5py
import numpy as np

from cli_support import (ECOLI, EX1_BAM, HYENA, LAMBDA, MODEL, ROOT, SHARED, Tmp, lambda_seq,
                         read_safetensors, read_text, revcomp, run, stopped_run, track_lines)


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
            # Pooled: one [N, D] matrix in input order, with a column per row attribute.
            self.assertEqual(sorted(p.keys()), ["chrom", "embeddings", "end", "id", "start"])
            self.assertEqual(p["embeddings"].shape, (2, 128))
            self.assertEqual(list(p["id"].asstr()[:]), regions)
            self.assertEqual(list(p["chrom"].asstr()[:]), ["NC_001416.1"] * 2)
            self.assertEqual((list(p["start"][:]), list(p["end"][:])), ([0, 40000], [3000, 41000]))
            for i, r in enumerate(regions):
                np.testing.assert_allclose(p["embeddings"][i], f[r][:].mean(axis=0), rtol=1e-5, atol=1e-6)
        # h5py lists datasets by name; each one's "index" attribute keeps the input's order.
        with open(self.path("z.fa"), "w") as f:
            f.write(">zeta\nACGTACGTAC\n>alpha\nGGGCCCAATT\n>mid\nACGTTTTT\n")
        run("embed", "-m", MODEL, "-o", self.path("z.h5"), self.path("z.fa"))
        with h5py.File(self.path("z.h5")) as f:
            self.assertEqual(list(f), ["alpha", "mid", "zeta"])
            self.assertEqual(sorted(f, key=lambda k: f[k].attrs["index"]), ["zeta", "alpha", "mid"])
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("z.h5"), self.path("z.fa"))
        with h5py.File(self.path("z.h5")) as f:
            self.assertEqual(list(f["id"].asstr()[:]), ["zeta", "alpha", "mid"])
            self.assertEqual((list(f["start"][:]), list(f["end"][:])), ([0, 0, 0], [10, 10, 8]))

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
        self.assertEqual(track_lines(self.path("p.bedgraph")), track_lines(self.path("r.bedgraph")))
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
            want = p["embeddings"][:]
            self.assertEqual(list(p["id"].asstr()[:]), regions)  # input order, not sorted
        run(*args, "-o", self.path("p.npy"), LAMBDA)
        got = np.load(self.path("p.npy"))
        self.assertEqual(got.shape, (3, 128))
        np.testing.assert_array_equal(got, want)
        run(*args, "--dtype", "f16", "-o", self.path("h.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("h.npy")), want.astype(np.float16))
        run(*args, "--dtype", "f16", "-o", self.path("h.h5"), LAMBDA)
        with h5py.File(self.path("h.h5")) as h:
            self.assertEqual(h["embeddings"].dtype, np.float16)
            np.testing.assert_array_equal(h["embeddings"][:], want.astype(np.float16))
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
        self.assert_only_files("p.h5", "p.npy", "h.npy", "h.h5", "r.bed", "p.tsv")

    def test_tables_of_sequences_are_records_without_coordinates(self):
        """A sequence[,label] CSV and a GenomicBenchmarks folder: a record per row, as a FASTA of the rows."""
        seqs = {"up": lambda_seq()[100:400], "mid": lambda_seq()[9000:9050].lower(), "down": "ACGTN" * 20}
        with open(self.path("rows.csv"), "w") as f:
            f.write("id,sequence,label\n" + "".join(f"{k},{v},x\n" for k, v in seqs.items()))
        with open(self.path("rows.fa"), "w") as f:
            f.write("".join(f">{k}\n{v}\n" for k, v in seqs.items()))
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("fa.npy"), self.path("rows.fa"))
        _, out, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", self.path("rows.csv"))
        self.assertIn("50 soft-masked (lowercase) bases upper-cased", err)
        lines = [l.split("\t") for l in out.splitlines()[1:]]
        self.assertEqual([l[:4] for l in lines], [[k, "", "", ""] for k in seqs])
        np.testing.assert_array_equal(np.array([[np.float32(v) for v in l[4:]] for l in lines]),
                                      np.load(self.path("fa.npy")))
        # Per base: a dataset per row, named by its id; shards take blocks of rows.
        run("embed", "-m", MODEL, "-o", self.path("rows.h5"), self.path("rows.csv"))
        run("embed", "-m", MODEL, "-o", self.path("fa.h5"), self.path("rows.fa"))
        with h5py.File(self.path("rows.h5")) as t, h5py.File(self.path("fa.h5")) as f:
            self.assertEqual(list(t.keys()), sorted(seqs))
            for k in seqs:
                np.testing.assert_array_equal(t[k][:], f[k][:])
                self.assertNotIn("chrom", t[k].attrs)
        ids = [[l.split("\t")[0] for l in run("embed", "-m", MODEL, "--pool", "mean", "--shard", f"{i}/2", "-o", "-",
                                            self.path("rows.csv"))[1].splitlines()[1:]] for i in (1, 2)]
        self.assertEqual(ids, [["up"], ["mid", "down"]])
        # Ids that cannot name a dataset as they are: kept in its name attribute.
        with open(self.path("ids.csv"), "w") as f:
            f.write("id,sequence\na,ACGT\na,GGCC\nx/y,ACG\n")
        run("embed", "-m", MODEL, "-o", self.path("ids.h5"), self.path("ids.csv"))
        with h5py.File(self.path("ids.h5")) as h:
            self.assertEqual({k: h[k].attrs.get("name") for k in h}, {"a": None, "a#2": "a", "x|y": "x/y"})
        # A GenomicBenchmarks folder: .txt sequences, and interval lists read from -T.
        os.makedirs(self.path("gb/b"))
        with open(self.path("gb/b/s1.txt"), "w") as f:
            f.write(seqs["up"] + "\n")
        with open(self.path("gb/a.csv"), "w") as f:
            f.write("id,region,start,end,strand\nw1,NC_001416.1,9000,9050,+\n")
        _, out, _ = run("embed", "-m", MODEL, "--pool", "mean", "-T", LAMBDA, "-o", "-", self.path("gb"))
        lines = [l.split("\t") for l in out.splitlines()[1:]]
        self.assertEqual([l[:4] for l in lines], [["w1", "NC_001416.1", "9000", "9050"], ["s1", "", "", ""]])
        vectors = np.array([[np.float32(v) for v in l[4:]] for l in lines])
        np.testing.assert_array_equal(vectors, np.load(self.path("fa.npy"))[[1, 0]])
        # What a table does not take: regions, and an interval list without its reference.
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", self.path("rows.csv"), "up", expect=2)
        self.assertIn("rows.csv: -r/-R select regions of a sequence file, not rows of a table", err)
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", self.path("gb"), expect=2)
        self.assertIn("a.csv: an interval list needs -T/--reference REF.fa", err)
        with open(self.path("bad.csv"), "w") as f:
            f.write("sequence\nACGT\nACGX\n")
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("x.tsv"), self.path("bad.csv"),
                        expect=1)
        self.assertIn("bad.csv: row 2: invalid base 'X'", err)
        # FASTQ reads have no coordinates either.
        with open(self.path("r.fq"), "w") as f:
            f.write(f"@r1\n{seqs['down']}\n+\n{'I' * 100}\n")
        _, out, _ = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", self.path("r.fq"))
        self.assertEqual(out.splitlines()[1].split("\t")[:4], ["r1", "", "", ""])
        self.assert_only_files("rows.csv", "rows.fa", "rows.fa.fai", "fa.npy", "rows.h5", "fa.h5", "ids.csv", "ids.h5",
                               "gb", "bad.csv", "r.fq")

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
        self.assertIn("--shard 6/6: more shards than regions asked of " + LAMBDA + " (5)", err)
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
        # Per-base rows too, written in input order around the long record.
        for t in ("1", "3"):
            run("embed", "-m", MODEL, "--stride", "3", "-@", t, "-o", self.path(f"b{t}.h5"), self.path("m.fa"))
        with h5py.File(self.path("b1.h5")) as a, h5py.File(self.path("b3.h5")) as b:
            self.assertEqual(sorted(a, key=lambda k: a[k].attrs["index"]), [f"r{i}" for i in range(60)])
            for k in a:
                self.assertEqual(a[k].attrs["index"], b[k].attrs["index"])
                np.testing.assert_array_equal(a[k][:], b[k][:])
            self.assertEqual((a["r7"].shape, a["r30"].shape), ((16, 128), (6667, 128)))
            run("embed", "-m", MODEL, "--stride", "3", "-r", "r7", "-o", self.path("b7.npy"), self.path("m.fa"))
            np.testing.assert_array_equal(a["r7"][:], np.load(self.path("b7.npy")))

    def test_stdin_equals_file(self):
        with gzip.open(LAMBDA, "rb") as f:
            data = f.read()
        run("embed", "-m", MODEL, "-o", self.path("s.npy"), "-", stdin=data)
        run("embed", "-m", MODEL, "-o", self.path("f.npy"), LAMBDA)
        np.testing.assert_array_equal(np.load(self.path("s.npy")), np.load(self.path("f.npy")))

    def test_a_genome_read_whole_says_why(self):
        """A gzip (not bgzip) FASTA cannot be indexed, so every run reads it whole (UCSC's hg38.fa.gz is one): past
        10 Mb the run says so and how to recompress it. A bgzip copy is indexed and says nothing."""
        rng = np.random.default_rng(3)
        seq = "".join(np.array(list("ACGT"))[rng.integers(0, 4, 10_500_000)])
        plain = self.path("big.fa.gz")
        with gzip.open(plain, "wt", compresslevel=1) as f:
            f.write(">big\n" + "\n".join(seq[i:i + 1000] for i in range(0, len(seq), 1000)) + "\n")
        args = ["embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv"]
        _, out, err = run(*args, plain, "big:1-100")
        self.assertEqual(err, f"dnassm: note: {plain} was read whole into memory (10.5 Mb): it is gzip-compressed, not "
                              f"bgzip, so it cannot be indexed (recompress it: zcat {plain} | bgzip > OUT.fa.gz)\n")
        bgz = self.path("big.bgz.fa.gz")
        subprocess.run(f"zcat {plain} | bgzip > {bgz}", shell=True, check=True)
        _, out_bgz, err = run(*args, bgz, "big:1-100")
        self.assertEqual(err, "")
        rows = lambda text: [line for line in text.splitlines() if not line.startswith("#")]
        self.assertEqual(rows(out_bgz), rows(out))
        self.assertEqual(len(rows(out)), 2)

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

    def test_gff3_and_gtf_genes_as_regions(self):
        # -R takes an annotation: one region per gene (spanning its mRNAs, exons and CDSs), named by
        # it, on its strand; the same vectors as the BED of those spans.
        gff = ("##gff-version 3\n"
               "NC_001416.1\tRefSeq\tregion\t1\t48502\t.\t+\t.\tID=NC_001416.1:1..48502\n"
               "NC_001416.1\tRefSeq\tgene\t1001\t1600\t.\t+\t.\tID=gene-A;Name=geneA\n"
               "NC_001416.1\tRefSeq\tCDS\t1001\t1600\t.\t+\t0\tID=cds-A;Parent=gene-A\n"
               "NC_001416.1\tRefSeq\tmRNA\t4901\t5600\t.\t-\t.\tID=rna-B;Parent=gene-B\n"
               "NC_001416.1\tRefSeq\tgene\t5001\t5600\t.\t-\t.\tID=gene-B;Name=geneB\n")
        with gzip.open(self.path("genes.gff3.gz"), "wt") as f:
            f.write(gff)
        with open(self.path("genes.gtf"), "w") as f:
            f.write('NC_001416.1\tx\texon\t1001\t1600\t.\t+\t.\tgene_id "A"; gene_name "geneA";\n'
                    'NC_001416.1\tx\texon\t4901\t5000\t.\t-\t.\tgene_id "B"; gene_name "geneB";\n'
                    'NC_001416.1\tx\texon\t5201\t5600\t.\t-\t.\tgene_id "B"; gene_name "geneB";\n')
        with open(self.path("genes.bed"), "w") as f:
            f.write("NC_001416.1\t1000\t1600\tgeneA\t0\t+\nNC_001416.1\t4900\t5600\tgeneB\t0\t-\n")
        for name in ["genes.gff3.gz", "genes.gtf", "genes.bed"]:
            run("embed", "-m", MODEL, "--pool", "mean", "--stranded", "-R", self.path(name), "-o",
                self.path(name + ".tsv"), LAMBDA)
        want = read_text(self.path("genes.bed.tsv"))
        self.assertEqual([l.split("\t")[:4] for l in want.splitlines()[1:]],
                         [["geneA", "NC_001416.1", "1000", "1600"], ["geneB", "NC_001416.1", "4900", "5600"]])
        self.assertEqual(read_text(self.path("genes.gff3.gz.tsv")), want)
        self.assertEqual(read_text(self.path("genes.gtf.tsv")), want)
        # A gene on a contig the FASTA lacks names its line, as a BED line does.
        with open(self.path("other.gff3"), "w") as f:
            f.write(gff.replace("NC_001416.1\tRefSeq\tmRNA", "chrX\tRefSeq\tmRNA")
                       .replace("NC_001416.1\tRefSeq\tgene\t5001", "chrX\tRefSeq\tgene\t5001"))
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-R", self.path("other.gff3"), "-o",
                        self.path("x.tsv"), LAMBDA, expect=1)
        self.assertIn("other.gff3:5: unknown contig 'chrX'", err)  # the mRNA, first of gene B
        self.assertIn("chrX", err)
        self.assertEqual(len(err.strip().splitlines()), 1)
        self.assertFalse(os.path.exists(self.path("x.tsv")))

    @unittest.skipUnless(os.path.exists(ECOLI), f"skipped: {ECOLI} absent (../shared/data)")
    def test_large_per_base_outputs_are_sized_first(self):
        """Per-base embeddings of 1 GB and more: a note gives the size and what shrinks it, before any row is
        written (the run is stopped there; its temp file goes with it)."""
        for fmt, extra in (("npy", []), ("h5", ["--stride", "2"])):
            with self.subTest(fmt):
                rc, err = stopped_run(self.tmp, ["embed", "-m", MODEL, *extra, "-o", self.path("g." + fmt), ECOLI],
                                      signal.SIGTERM)
                self.assertEqual(rc, -signal.SIGTERM, err)
                rows = 4641652 // (2 if extra else 1)
                gb = rows * 128 * 4 / 1e9
                self.assertIn(f"g.{fmt} will hold about {gb:.1f} GB ({rows} rows of 128 values); --dtype f16 "
                              "halves it, ", err)
                self.assertEqual("--stride K divides it by K" in err, not extra)
                self.assert_only_files()
        # 0.6 GB: no note (it would come before the file is made, as above).
        rc, err = stopped_run(self.tmp, ["embed", "-m", MODEL, "--dtype", "f16", "--stride", "2", "-o",
                                         self.path("s.npy"), ECOLI], signal.SIGTERM)
        self.assertEqual(rc, -signal.SIGTERM, err)
        self.assertNotIn("will hold", err)

    @unittest.skipUnless(os.path.exists(ECOLI), f"skipped: {ECOLI} absent (../shared/data)")
    def test_ecoli_genes_bed(self):
        bed = self.path("genes.bed")
        with open(os.path.join(SHARED, "ecoli_k12_mg1655", "ecoli_k12_mg1655.genes.bed")) as f, open(bed, "w") as o:
            o.writelines(f.readlines()[:20])
        run("embed", "-m", MODEL, "-R", bed, "--pool", "mean", "-@", "2", "-o", self.path("g.h5"), ECOLI)
        with h5py.File(self.path("g.h5")) as f:
            self.assertEqual(f["embeddings"].shape, (20, 128))
            self.assertTrue(np.isfinite(f["embeddings"][:]).all())
            self.assertEqual((f["id"].asstr()[0], int(f["start"][0]), int(f["end"][0])),
                             ("thrL|protein_coding", 189, 255))

    @unittest.skipUnless(os.path.exists(EX1_BAM), f"skipped: {EX1_BAM} absent (../shared/data)")
    def test_bam_reads_region_and_filters_match_samtools(self):
        region = "chr1:100-300"
        out = self.path("reads.h5")
        run("embed", "-m", MODEL, "-q", "30", "-r", region, "--pool", "mean", "-o", out, EX1_BAM)
        sam = subprocess.run(["samtools", "view", "-q", "30", "-F", "0x900", EX1_BAM, region],
                             capture_output=True, check=True).stdout.decode().splitlines()
        with h5py.File(out) as f:
            self.assertEqual(f["embeddings"].shape, (len(sam), 128))
            # In the file's order, named as samtools names them (a pair's mates get /1 and /2).
            self.assertEqual([i.rsplit("/", 1)[0] for i in f["id"].asstr()[:]], [r.split("\t")[0] for r in sam])


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
        rows = [l.split("\t") for l in track_lines(self.path("h.bedgraph"))]
        got = {}
        for r in rows:
            for p in range(int(r[1]), int(r[2])):
                got[p - 10000] = float(r[3])
        self.assertEqual(sorted(got), list(range(1, 800)))
        want = np.array([logp[i - 1, "ACGT".index(seq[i])] for i in range(1, 800)])
        np.testing.assert_allclose([got[i] for i in range(1, 800)], want, rtol=2e-4, atol=1e-5)
