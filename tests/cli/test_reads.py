"""Reads from SAM/BAM/CRAM and FASTQ."""
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

from cli_support import EX1_BAM, LAMBDA, MODEL, SHARED, Tmp, read_text, run


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

    def test_records_without_bases_are_left_out_with_a_note(self):
        """A FASTA header without sequence lines (faidx leaves it out of its index) or an empty FASTQ read (an
        adapter trimmer's output) has nothing to embed: it is left out and counted, not a failure of the run."""
        fa = self.path("gaps.fa")
        with open(fa, "w") as f:
            f.write(">e1\n>a\nACGTACGT\n>e2\n>b\nGGCCAATT\n")
        fq = self.path("trimmed.fq")
        with open(fq, "w") as f:
            f.write("@r1\nACGTACGT\n+\nIIIIIIII\n@r2\n\n+\n\n@r3\nGGCC\n+\nIIII\n")
        for path, ids, note in ((fa, ["a", "b"], "2 records with no bases left out (the first: 'e1')"),
                                (fq, ["r1", "r3"], "1 record with no bases left out ('r2')")):
            _, out, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv", path)
            self.assertEqual([line.split("\t")[0] for line in out.splitlines()[1:]], ids)
            self.assertIn("dnassm: note: " + note, err)
        none = self.path("none.fa")
        with open(none, "w") as f:
            f.write(">e1\n>e2\n")
        _, _, err = run("embed", "-m", MODEL, "-o", self.path("x.h5"), none, expect=1)
        self.assertIn(none + ": no sequences (2 records, none with bases)", err)
        self.assertFalse(os.path.exists(self.path("x.h5")))

    def test_sam_reads_on_undeclared_contigs(self):
        """HTSlib refuses a SAM whose reads name contigs but whose header has no @SQ lines (pysam's ex1.sam.gz):
        the message says so instead of 'truncated or corrupt'."""
        sam = self.path("no_sq.sam")
        with open(sam, "w") as f:
            f.write("r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\t*\n")
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("x.tsv"), sam, expect=1)
        self.assertEqual(err.strip(), f"dnassm embed: {sam}: record 1 cannot be read: the header has no @SQ lines "
                                      f"for the contigs its reads name")

    def test_plain_sam_regions_say_how_to_index(self):
        """Regions need an index; a plain SAM cannot have one, and the message says what to run."""
        sam = self.path("reads.sam")
        with open(sam, "w") as f:
            f.write("@SQ\tSN:ref\tLN:40\nr1\t0\tref\t1\t60\t4M\t*\t0\t0\tACGT\t*\n")
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("x.tsv"), sam, "ref:1-10",
                        expect=1)
        self.assertEqual(err.strip(), f"dnassm embed: {sam}: no index (.bai/.csi/.crai), which regions need; a "
                                      f"plain SAM cannot be indexed: 'samtools sort -o OUT.bam {sam}', then "
                                      f"'samtools index OUT.bam'")
        self.assertFalse(os.path.exists(self.path("x.tsv")))

    def test_fastq_mates_may_share_a_name(self):
        """An interleaved pair's mates share a name (CASAVA 1.8 keeps '1:N:0' and '2:N:0' in the comment):
        each is a record, as a BAM's reads are, in the input's order; a FASTA's names stay unique."""
        fq = self.path("pairs.fq")
        with open(fq, "w") as f:
            f.write("@p1 1:N:0:1\nACGTACGTTT\n+\nIIIIIIIIII\n@p1 2:N:0:1\nGGGCCCAAAT\n+\nIIIIIIIIII\n"
                    "@p2 1:N:0:1\nTTTTACGTAA\n+\nIIIIIIIIII\n")
        _, out, _ = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv", fq)
        rows = [line.split("\t") for line in out.splitlines()[1:]]
        self.assertEqual([r[0] for r in rows], ["p1", "p1", "p2"])
        self.assertNotEqual(rows[0][4:], rows[1][4:])  # two sequences, two vectors
        run("embed", "-m", MODEL, "-o", self.path("pairs.h5"), fq)
        with h5py.File(self.path("pairs.h5")) as f:
            self.assertEqual(sorted(f.keys()), ["p1", "p1#2", "p2"])
            self.assertEqual(f["p1#2"].attrs["name"], "p1")
            self.assertEqual(f["p1#2"].attrs["index"], 1)
        # The same reads as FASTA (samtools fasta -n writes mates so) are read the same way; such a
        # file is reads, not a reference, and what needs one says why.
        fa = self.path("pairs.fa")
        with open(fa, "w") as f:
            f.write(">p1\nACGTACGTTT\n>p1\nGGGCCCAAAT\n>p2\nTTTTACGTAA\n")
        _, fa_out, _ = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv", fa)
        self.assertEqual([line.split("\t")[4:] for line in fa_out.splitlines()[1:]],
                         [r[4:] for r in rows])
        _, _, err = run("predict", "-m", MODEL, "-o", self.path("x.bw"), fa, expect=2)
        self.assertEqual(err, f"dnassm predict: {fa}: 'p1' names more than one record (1 name(s) do): a set of "
                              "reads, not a reference with a record per name; per-base tracks are in reference "
                              "coordinates (for a row per read, write a table: -o OUT.tsv)\n")
        self.assertFalse(os.path.exists(self.path("x.bw")))
        _, _, err = run("embed", "-m", MODEL, "-r", "p1:1-5", "-o", self.path("x.npy"), fa, expect=1)
        self.assertIn("'p1' names more than one record, so a region cannot say which", err)
        _, out, _ = run("predict", "-m", MODEL, "-o", "-", "-O", "tsv", fa)  # a row per read
        self.assertEqual(len(out.splitlines()), 4)

    @unittest.skipUnless(os.path.exists(EX1_BAM), f"skipped: {EX1_BAM} absent (../shared/data)")
    def test_alignments_on_standard_input(self):
        """`samtools view -h ... | dnassm embed ... -`: BAM, SAM and CRAM piped in are detected as
        files are and read as the file is."""
        ref = self.path("ex1.fa")
        shutil.copy(os.path.join(SHARED, "bam", "pysam_ex1", "ex1.fa"), ref)
        run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("file.tsv"), EX1_BAM)
        want = [l for l in read_text(self.path("file.tsv")).splitlines() if not l.startswith("#")]
        self.assertEqual(len(want), 3271)
        sam = subprocess.run(["samtools", "view", "-h", EX1_BAM], capture_output=True, check=True).stdout
        cram = subprocess.run(["samtools", "view", "-C", "-T", ref, EX1_BAM], capture_output=True,
                              check=True).stdout
        with open(EX1_BAM, "rb") as f:
            bam = f.read()
        for name, data, extra in (("bam", bam, []), ("sam", sam, []), ("cram", cram, ["-T", ref])):
            _, out, _ = run("embed", "-m", MODEL, "--pool", "mean", *extra, "-o", "-", "-", stdin=data)
            self.assertEqual([l for l in out.splitlines() if not l.startswith("#")], want, name)
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-", "chr1:100-200", stdin=bam, expect=2)
        self.assertIn("-: regions need the reads' index, which standard input has none of", err)
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-R", "-", "-o", "-", "-", stdin=bam, expect=2)
        self.assertIn("-R - and the input - cannot both be standard input", err)

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
                outs[name] = dict(zip(f["id"].asstr()[:], f["embeddings"][:]))
                self.assertEqual(len(outs[name]), len(f["id"]))  # ids are unique (mates get /1, /2)
        self.assertGreater(len(outs["bam"]), 0)
        self.assertEqual(sorted(outs["bam"]), sorted(outs["cram"]))
        # A CRAM is decoded against its reference: without it, or with another, the message says so.
        # Nothing is fetched from the network (HTSlib's default would ask the EBI's server).
        other = self.path("other.fa")
        with open(other, "w") as f:
            f.write(">chr1\n" + "ACGT" * 500 + "\n>chr2\n" + "TTGCA" * 400 + "\n")
        os.rename(self.path("ex1.fa"), self.path("moved.fa"))
        if os.path.exists(self.path("ex1.fa.fai")):
            os.remove(self.path("ex1.fa.fai"))
        for extra, want in (([], "record 1 cannot be decoded: the CRAM's reference was not found (give it with -T "
                                 "REF.fa; dnassm looks references up in REF_PATH and REF_CACHE, and does not "
                                 "download them)"),
                            (["-T", other], "cannot be decoded with the reference " + other +
                             " (not the one the CRAM was written against, or a corrupt file)")):
            _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-o", self.path("x.tsv"), *extra,
                            self.path("ex1.cram"), expect=1)
            self.assertIn(want, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertFalse(os.path.exists(self.path("x.tsv")))
        for k, v in outs["bam"].items():
            np.testing.assert_array_equal(v, outs["cram"][k])
            np.testing.assert_array_equal(v, outs["sam"][k])  # SAM (whole file) holds the same reads
        # Filters that drop every read: an error naming them, and no output.
        _, _, err = run("embed", "-m", MODEL, "--pool", "mean", "-q", "255", "-o", self.path("none.tsv"), EX1_BAM,
                        expect=1)
        self.assertIn("ex1.bam: no sequences (no read passed the filters: -q 255, -f 0, -F 0x900)", err)
        _, _, err = run("predict", "-m", MODEL, "-F", "0xF04", "-o", self.path("none.tsv"), EX1_BAM, "chr1:1-50",
                        expect=1)
        self.assertIn("no read passed the filters: -q 0, -f 0, -F 0xF04, and the regions)", err)
        self.assertFalse(os.path.exists(self.path("none.tsv")))

    def test_star_region_is_the_unplaced_reads(self):
        """`dnassm embed ... in.bam '*'` embeds the reads without a position, as `samtools view in.bam '*'`
        lists them; a FASTA has none, and says so."""
        sam = self.path("reads.sam")
        with open(sam, "w") as f:
            f.write("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:ref\tLN:100\n"
                    "placed\t0\tref\t5\t60\t8M\t*\t0\t0\tACGTACGT\t*\n"
                    "u1\t4\t*\t0\t0\t*\t*\t0\t0\tTTAAGGCC\t*\n"
                    "u2\t4\t*\t0\t0\t*\t*\t0\t0\tGATTACAG\t*\n")
        bam = self.path("reads.bam")
        subprocess.run(["samtools", "view", "-b", "-o", bam, sam], check=True)
        subprocess.run(["samtools", "index", bam], check=True)
        args = ["embed", "-m", MODEL, "--pool", "mean", "-o", "-", "-O", "tsv"]
        _, out, _ = run(*args, bam, "*")
        rows = [l.split("\t") for l in out.splitlines() if not l.startswith("#")][1:]
        self.assertEqual([r[:4] for r in rows], [["u1", "", "", ""], ["u2", "", "", ""]])
        _, both, _ = run(*args, "-r", "ref", "-r", "*", bam)
        self.assertEqual([l.split("\t")[0] for l in both.splitlines() if not l.startswith("#")][1:],
                         ["placed", "u1", "u2"])
        fa = self.path("ref.fa")
        with open(fa, "w") as f:
            f.write(">ref\n" + "ACGT" * 25 + "\n")
        _, _, err = run(*args, fa, "*", expect=1)
        self.assertEqual(err, f"dnassm embed: {fa}: region '*': samtools' unplaced reads, which only a "
                              "SAM/BAM/CRAM input has\n")

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
