"""`dnassm score`: variant effect scores."""
import gzip
import json
import os
import subprocess

import numpy as np

from cli_support import (HYENA, LAMBDA, MODEL, Tmp, dnassm_binary, lambda_seq, read_text, run, track_lines,
                         write_vcf)


class ScoreTests(Tmp):
    def write_vcf(self, rows, contig_length=48502):
        return write_vcf(self.path("v.vcf"), rows, contig_length)

    def test_positions_past_the_contig_end_are_named_so(self):
        """faidx clips a fetch to the contig's end; a POS past it, or a REF running past it, is said to be
        so, not compared with the contig's last bases."""
        seq = lambda_seq()
        vcf = self.write_vcf([
            ("NC_001416.1", 48502, seq[-1], "A" if seq[-1] != "A" else "C"),
            ("NC_001416.1", 48501, seq[-2:] + "A", seq[-2]),
            ("NC_001416.1", 60000, seq[-1], "G,T"),
        ])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", self.path("s.tsv"), LAMBDA)
        self.assertIn(f"NC_001416.1:48501 {seq[-2:]}A: REF runs past the end of NC_001416.1 (length 48502)", err)
        self.assertIn(f"NC_001416.1:60000 {seq[-1]}: POS is beyond the end of NC_001416.1 (length 48502)", err)
        # Counted in ALT alleles, as scores are: the record skipped whole counts both of its ALTs.
        self.assertIn("1 alleles scored, 3 skipped (of 3 records)", err)

    def test_an_indel_in_a_repeat_scores_the_same_however_written(self):
        """VCF can write an indel in a repeat at either end of it. With the whole contig in both windows
        (a contig shorter than --score-window) the two are the same pair of windows, and a masked LM masks
        the same bases for both (found from the windows, not the alleles): the scores are equal. The
        substitution of a masked LM (an SNV, or several bases) is its masked marginal, never NA."""
        seq = "GCTTGACCGTAGCATGCCTGACTTAGCGATCCGTAGGCTCAAAACGGATCGTTAGCCATGGCATCGAATTCGGCTAG"
        run_at = seq.index("CAAAAC") + 1  # 0-based start of the four As
        with open(self.path("r.fa"), "w") as f:
            f.write(">r\n" + seq + "\n")
        before, last = run_at, run_at + 3  # 1-based POS of the base before the run, 0-based last A
        variants = [f"r:{before}:{seq[before - 1]}>{seq[before - 1]}A", f"r:{last + 1}:A>AA",  # insertion
                    f"r:{before}:{seq[before - 1]}A>{seq[before - 1]}", f"r:{last}:AA>A",      # deletion
                    f"r:10:{seq[9]}>{'G' if seq[9] != 'G' else 'A'}",
                    f"r:20:{seq[19:22]}>{seq[19:22].translate(str.maketrans('ACGT', 'CGTA'))}"]
        for model in ("dnassm-caduceus-small", MODEL):
            _, out, _ = run("score", "-m", model, "--score-window", "200", "-o", "-", self.path("r.fa"),
                            *[a for v in variants for a in ("--variant", v)])
            rows = [l.split("\t")[4:] for l in out.splitlines()[1:]]
            self.assertEqual(len(rows), 6)
            self.assertEqual(rows[0], rows[1], model)
            self.assertEqual(rows[2], rows[3], model)
            for r in rows:
                self.assertNotIn("NA", r)
                self.assertGreater(float(r[1]), 0)
            # Inserting a base puts one more ln p(base) < 0 into the ALT window's sum; deleting one takes it out.
            self.assertLess(float(rows[0][0]), 0, model)
            self.assertGreater(float(rows[2][0]), 0, model)

    def test_tsv_vcf_split_skips_and_llr_equals_predict(self):
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        vcf = self.write_vcf([
            ("NC_001416.1", 5000, seq[4999], other[seq[4999]]),
            ("NC_001416.1", 6000, seq[5999], other[seq[5999]] + "," + other[other[seq[5999]]]),
            ("NC_001416.1", 7000, seq[6999:7002], seq[6999]),
            ("NC_001416.1", 8000, other[seq[7999]], seq[7999]),       # REF mismatch
            ("NC_001416.1", 9000, seq[8999], "<DEL>"),               # symbolic
            ("NC_001416.1", 9200, seq[9199], "R"),                   # an IUPAC code, not a base
            ("NC_001416", 9500, seq[9499], other[seq[9499]]),         # the FASTA's contig, unversioned
        ])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", self.path("s.tsv"), LAMBDA)
        self.assertIn("NC_001416.1:8000 " + other[seq[7999]] + ": REF does not match the FASTA", err)
        self.assertIn("symbolic or missing ALT", err)
        self.assertIn(f"NC_001416.1:9200 {seq[9199]} R: ALT holds 'R', not a base (A, C, G, T or N)", err)
        self.assertIn("NC_001416:9500 " + seq[9499] + ": contig not in " + LAMBDA +
                      " (the input has 'NC_001416.1': contig names must match exactly)", err)
        self.assertIn("4 alleles scored, 4 skipped (of 7 records)", err)
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
        self.assertEqual(len(body), 7)  # every record kept; skipped ones without scores
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
        _, quiet, _ = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "--rc", "--no-provenance",
                          "-o", "-", "-O", "vcf", LAMBDA)  # as bcftools --no-version
        self.assertEqual([l for l in quiet.splitlines() if l.startswith("##dnassm")], [])
        self.assertEqual([l for l in quiet.splitlines() if not l.startswith("##dnassm")],
                         [l for l in out.splitlines() if not l.startswith("##dnassm")])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "-o", "-", "-O", "bcf", LAMBDA, expect=2)
        self.assertIn("standard output takes text formats (bedgraph, bed, tsv, vcf), not bcf", err)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["a.bedgraph", "a.fa", "a.fa.fai", "r.bedgraph", "r.fa",
                                                        "r.fa.fai", "s.tsv", "s.vcf.gz", "v.vcf"])

    def test_variants_given_on_the_command_line(self):
        # --variant chr:pos:REF>ALT (agt's form; also 'chr:pos REF>ALT') scores as the same record of a VCF.
        seq = lambda_seq()
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        third = next(b for b in "ACGT" if b not in (seq[4999], other[seq[4999]]))
        rows = [("NC_001416.1", 5000, seq[4999], other[seq[4999]] + "," + third),
                ("NC_001416.1", 7000, seq[6999:7002], seq[6999]),
                ("NC_001416.1", 9000, seq[8999].lower(), seq[8999] + "TT")]
        vcf = self.write_vcf([(c, p, r.upper(), a) for c, p, r, a in rows])
        _, from_vcf, _ = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", "-", LAMBDA)
        tmp = self.path("tmpdir")
        os.makedirs(tmp)
        args = ["score", "-m", MODEL, "--score-window", "200", "-o", "-", LAMBDA,
                "--variant", f"{rows[0][0]}:{rows[0][1]:,}:{rows[0][2]}>{rows[0][3]}",
                "--variant", f"{rows[1][0]}:{rows[1][1]} {rows[1][2]}>{rows[1][3]}",
                "--variant", f"{rows[2][0]}:{rows[2][1]}:{rows[2][2]}>{rows[2][3]}"]
        p = subprocess.run([dnassm_binary(), *args], capture_output=True, text=True, env=dict(os.environ, TMPDIR=tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, from_vcf)
        self.assertEqual(len(p.stdout.splitlines()), 5)
        self.assertEqual(os.listdir(tmp), [], "the temporary VCF is removed")
        # As a VCF output too; a REF the FASTA does not have is named as --variant's and scored nowhere.
        run("score", "-m", MODEL, "--variant", f"NC_001416.1:5000:{seq[4999]}>{other[seq[4999]]}", "-o",
            self.path("v.vcf.gz"), LAMBDA)
        with gzip.open(self.path("v.vcf.gz"), "rt") as f:
            body = [l for l in f if not l.startswith("#")]
        self.assertEqual(body[0].split("\t")[:5], ["NC_001416.1", "5000", ".", seq[4999], other[seq[4999]]])
        self.assertIn("DNASSM_LLR=", body[0])
        _, _, err = run("score", "-m", MODEL, "--variant", f"NC_001416.1:8000:{other[seq[7999]]}>{seq[7999]}",
                        "-o", self.path("x.tsv"), LAMBDA, expect=1)
        self.assertIn(f"skipped --variant: NC_001416.1:8000 {other[seq[7999]]}: REF does not match the FASTA", err)
        self.assertIn("--variant: none of its 1 record could be scored", err)
        for args, needle in ((["--variant", "NC_001416.1:8000 A>"], "variant 'NC_001416.1:8000 A>': REF and ALT must"),
                             (["--variant", "NC_001416.1:5000:A>G", "--vcf", vcf], "one of the two"),
                             ([], "give the variants with --vcf FILE or with --variant")):
            _, _, err = run("score", "-m", MODEL, *args, "-o", self.path("x.tsv"), LAMBDA, expect=2)
            self.assertIn(needle, err)
        self.assert_only_files("v.vcf", "v.vcf.gz", "tmpdir")

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
            for line in track_lines(self.path("w.bedgraph")):
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
        self.assertIn(f"--shard 11/11: more shards than records of {vcf} (10)", err)

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
        for line in track_lines(self.path("w.bedgraph")):
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
            last = f"dnassm score: {vcf}: none of its 3 records could be scored (the first skipped: {contig}:{where[0]} "
            self.assertTrue(err.strip().splitlines()[-1].startswith(last), err)
            self.assertFalse(os.path.exists(self.path(out)))
            # The one line says why by itself: --quiet drops the skip notes, a pipeline log may keep only it.
            _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path(out),
                            LAMBDA, "--quiet", expect=1)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith(last) and why in err, err)
        # Past 20 skips they are counted, and it says so.
        vcf = self.write_vcf([("lambda", p, seq[p - 1], other[seq[p - 1]]) for p in range(1000, 1025)])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("s.tsv"), LAMBDA,
                        expect=1)
        self.assertEqual(err.count("dnassm score: skipped "), 20)
        self.assertIn("dnassm score: further skipped records are counted, not listed\n", err)
        self.assertIn("none of its 25 records could be scored (the first skipped: lambda:1000 ", err)
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
        # ALT "." (a reference-only site, as gVCF blocks are): nothing to score, and counted as such.
        vcf = self.write_vcf([("NC_001416.1", 9000, seq[8999], "."),
                              ("NC_001416.1", 9500, seq[9499], other[seq[9499]])])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("a.tsv"), LAMBDA)
        self.assertIn("1 alleles scored, 0 skipped (of 2 records, 1 without an ALT allele)", err)
        vcf = self.write_vcf([("NC_001416.1", 9000, seq[8999], ".")])
        _, _, err = run("score", "-m", MODEL, "--vcf", vcf, "--score-window", "100", "-o", self.path("b.tsv"), LAMBDA,
                        expect=1)
        self.assertIn("none of its 1 record could be scored (no ALT allele: ALT is '.' throughout)", err)

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
        # The reference is read through its index, which a pipe cannot have: refused before reading it.
        with gzip.open(LAMBDA, "rb") as f:
            fasta = f.read()
        _, _, err = run(*args, "--vcf", self.path("v.vcf"), "-o", "-", "-", stdin=fasta, expect=2)
        self.assertIn("give REF.fa as a file, not standard input", err)

    def test_bad_vcf(self):
        with open(self.path("bad.vcf"), "w") as f:
            f.write("this is not a vcf\n")
        _, _, err = run("score", "-m", MODEL, "--vcf", self.path("bad.vcf"), "-o", self.path("s.tsv"), LAMBDA, expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("bad.vcf: no VCF header (##fileformat=VCFv4.x, then a #CHROM line) before its records (for a "
                      "few variants, --variant chr:pos:REF>ALT needs no file)", err)
        self.assertFalse(os.path.exists(self.path("s.tsv")))
        # HTSlib says why a header fails only in its own log: the message says it instead.
        for text, why in (("", "empty file"),
                          (">chr1\nACGT\n", "not a VCF/BCF file (detected: FASTA sequence text)"),
                          ("##fileformat=VCFv4.2\nNC_001416.1\t100\t.\tA\tC\n", "no #CHROM line before its records"),
                          ("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
                           "its first line is not ##fileformat=VCFv4.x"),
                          ("##fileformat=VCFv4.2\n#CHROM  POS     ID      REF     ALT     QUAL    FILTER  INFO\n",
                           "its #CHROM line is not tab-separated")):
            with open(self.path("bad.vcf"), "w") as f:
                f.write(text)
            _, _, err = run("score", "-m", MODEL, "--vcf", self.path("bad.vcf"), "-o", self.path("s.tsv"), LAMBDA,
                            expect=1)
            self.assertEqual(err.strip(), f"dnassm score: {self.path('bad.vcf')}: {why}")
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
