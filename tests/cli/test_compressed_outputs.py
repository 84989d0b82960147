"""bgzip-compressed text outputs and their indexes."""
import os
import shutil
import subprocess

from cli_support import LAMBDA, MODEL, Tmp, data_lines, lambda_seq, read_text, run, track_lines, write_vcf


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
        self.assertEqual(data_lines(self.gz_text("t.bedgraph.gz")), track_lines(self.path("t.bedgraph")))
        self.assertEqual(self.index_magic("t.bedgraph.gz.tbi"), b"TBI\x01")
        if shutil.which("tabix"):
            q = subprocess.run(["tabix", self.path("t.bedgraph.gz"), "NC_001416.1:101-102"], capture_output=True,
                               text=True, check=True).stdout
            self.assertEqual([l.split("\t")[1] for l in q.splitlines()], ["100", "101"])
        run("predict", "-m", MODEL, "--track", "loglik,entropy", "-o", self.path("m.{track}.bedgraph.gz"),
            "--write-index", LAMBDA, region)
        self.assertEqual(data_lines(self.gz_text("m.loglik.bedgraph.gz")), track_lines(self.path("t.bedgraph")))
        self.assertEqual(self.index_magic("m.entropy.bedgraph.gz.tbi"), b"TBI\x01")
        # Calls: from predict, and from the compressed track with dnassm call; merge writes .gz too.
        run("predict", "-m", MODEL, "--threshold", "-1", "-o", self.path("c.bed"), LAMBDA, region)
        run("predict", "-m", MODEL, "--threshold", "-1", "-o", self.path("c.bed.gz"), "--write-index", LAMBDA, region)
        self.assertEqual(data_lines(self.gz_text("c.bed.gz")), track_lines(self.path("c.bed")))
        self.assertEqual(self.index_magic("c.bed.gz.tbi"), b"TBI\x01")
        run("call", "--threshold", "-1", "--name", "loglik", "-o", self.path("k.bed.gz"), self.path("t.bedgraph.gz"))
        self.assertEqual(data_lines(self.gz_text("k.bed.gz")), track_lines(self.path("c.bed")))
        run("merge", "-o", self.path("g.bedgraph.gz"), "--write-index", self.path("t.bedgraph.gz"))
        self.assertEqual(data_lines(self.gz_text("g.bedgraph.gz")), track_lines(self.path("t.bedgraph")))
        self.assertEqual([f for f in os.listdir(self.tmp) if ".tmp." in f], [], "indexes are renamed into place")
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("p.tsv"), LAMBDA, region)
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("p.tsv.gz"), LAMBDA, region)
        self.assertEqual(self.gz_text("p.tsv.gz"), read_text(self.path("p.tsv")))
        # What cannot be compressed or indexed is refused before any work, and nothing is written.
        for args, msg in [(["predict", "-o", self.path("x.bw.gz")], "x.bw.gz: a .gz name compresses text output"),
                          (["embed", "-o", self.path("x.npy.gz")], "x.npy.gz: a .gz name compresses text output"),
                          (["predict", "-o", self.path("x.bw"), "--write-index"],
                           "x.bw: --write-index indexes .bed.gz, .bedgraph.gz, .vcf.gz and .bcf"),
                          (["predict", "-o", self.path("x.bedgraph"), "--write-index"], "x.bedgraph: --write-index"),
                          (["predict", "-o", "-", "--write-index"], "--write-index: standard output cannot be indexed"),
                          (["predict", "-o", "-", "-O", "bedgraph.gz"],
                           "-O bedgraph.gz: a text output is compressed by its file name (-o OUT.bedgraph.gz); to "
                           "standard output, pipe it through bgzip")]:
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
