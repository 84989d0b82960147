"""`predict -o OUT.tsv`: a row per sequence."""
import math
import os

import numpy as np

from cli_support import EX1_BAM, LAMBDA, MODEL, Tmp, read_text, run, track_lines


class SequenceTableTests(Tmp):
    """predict -o OUT.tsv with an LM: a row per sequence, each track summed and averaged over it."""

    def table(self, text):
        lines = text.splitlines()
        header = lines[0].split("\t")
        return header, [dict(zip(header, l.split("\t"))) for l in lines[1:]]

    def bedgraph_values(self, path):
        return np.array([float(l.split("\t")[3]) for l in track_lines(path)])

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
            # Its mate (flag 133) is unmapped, placed at this position only for sorting: no span.
            self.assertEqual([rows[1][k] for k in ("id", "chrom", "start", "end", "length")],
                             ["EAS56_57:6:190:289:82/2", "", "", "", "35"])
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
