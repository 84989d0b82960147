"""Bad input: one line naming the file and the problem, a non-zero exit, nothing half-written."""
import json
import os
import shutil
import signal

import subprocess

from cli_support import LAMBDA, MODEL, Tmp, dnassm_binary, run, stopped_run


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
            with open(os.path.join(d, "config.json")) as f:
                cfg = json.load(f)
            cfg["d_state"] = 8
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg, f)
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
        # A UTF-8 byte-order mark (Notepad's) before '>' or '##fileformat': HTSlib reads neither; the message
        # says so and how to remove it (the BED and CSV readers skip it).
        for name, text, args in (("bom.fa", ">a\nACGTACGT\n", ["embed", "-m", MODEL, "-o", out]),
                                 ("bom.vcf", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
                                  ["score", "-m", MODEL, "-o", self.path("s.tsv"), "--vcf"])):
            with open(self.path(name), "wb") as f:
                f.write(b"\xef\xbb\xbf" + text.encode())
            self.expect_error([*args, self.path(name)] + ([LAMBDA] if name.endswith("vcf") else []),
                              f"{name}: starts with a UTF-8 byte-order mark (as some Windows editors save text), which "
                              f"HTSlib does not read; remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' {self.path(name)}")
        # A record without a name: every output would name it "" (no bedGraph/bigWig contig, a blank id).
        for name, text, needle in (("unnamed.fa", ">a\nACGT\n>\nACGTAC\n", "a '>' line with nothing after it, after 'a'"),
                                   ("unnamed.fq", "@\nACGT\n+\nIIII\n", "a '@' line with nothing after it, the first")):
            with open(self.path(name), "w") as f:
                f.write(text)
            self.expect_error(["embed", "-m", MODEL, "--pool", "mean", "-o", self.path("p.tsv"), self.path(name)],
                              f"{name}: a record has no name ({needle}")
        self.expect_error(["predict", "-m", MODEL, "-o", self.path("t.bw"), self.path("unnamed.fa")],
                          "unnamed.fa: a record has no name")
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
        # -m given a folder or file that is not a model: said so, not 'config.json: missing'; a model's own file
        # stands for its folder.
        self.expect_error(["embed", "-m", self.tmp, "-o", out, LAMBDA], self.tmp + ": not a model directory (no config.json)")
        self.expect_error(["embed", "-m", bad, "-o", out, LAMBDA], bad + ": not a model (a model is a directory of "
                          "config.json and model.safetensors; this file has no config.json beside it)")
        run("embed", "-m", os.path.join(MODEL, "config.json"), "--pool", "mean", "-o", self.path("p.tsv"), LAMBDA,
            "NC_001416.1:1-50")
        os.remove(self.path("p.tsv"))
        self.expect_error(["info", bad], bad + ": not a model, stream state, track (.bw, .bedgraph[.gz]), BED calls (.bed[.gz]) or embeddings",
                          code=2)
        self.expect_error(["embed", "-m", MODEL, "-r", "NC_001416.1:1-10", "-r", "NC_001416.1:20-30", "-o", out,
                           LAMBDA], "write .h5 instead", code=2)
        # A SAM whose second record is cut short, a FASTQ whose second quality string is: named by number.
        for name, text, needle in [
                ("cut.sam", "@SQ\tSN:c\tLN:100\nr1\t0\tc\t1\t60\t4M\t*\t0\t0\tACGT\t*\nr2\t0\tc\t5\t60\t4M\n",
                 "cut.sam: record 2 is truncated or corrupt"),
                ("cut.fq", "@r1\nACGT\n+\nIIII\n@r2\nACGTACGT\n+\nIII\n",
                 "cut.fq: record 2 ('r2'): quality string and sequence differ in length"),
                ("cut2.fq", "@r1\nACGT\n+\nIIII\n@r2\nACGTACGT\n",
                 "cut2.fq: record 2 ('r2'): no '+' line and qualities (truncated or malformed FASTQ)")]:
            with open(self.path(name), "w") as f:
                f.write(text)
            self.expect_error(["embed", "-m", MODEL, "--pool", "mean", "-o", self.path("e.tsv"), self.path(name)],
                              needle)
            os.remove(self.path(name))
        # (and the faidx indexes, as samtools builds them)
        self.assert_only_files("bad.fa", "bad.fa.fai", "junk.fa", "empty.fa", "empty_region.bed", "unnamed.fa",
                               "unnamed.fa.fai", "unnamed.fq", "bom.fa", "bom.vcf")

    def test_missing_and_folder_inputs_say_so(self):
        missing = self.path("none")
        for args in (["embed", "-m", MODEL, "-o", self.path("e.h5"), missing + ".fa"],
                     ["embed", "-m", MODEL, "-R", missing + ".bed", "-o", self.path("e.h5"), LAMBDA],
                     ["score", "-m", MODEL, "--vcf", missing + ".vcf", "-o", self.path("s.tsv"), LAMBDA],
                     ["call", "--threshold", "0", "-o", self.path("c.bed"), missing + ".bw"],
                     ["merge", "-o", self.path("m.bedgraph"), missing + ".bedgraph"],
                     ["embed", "-m", MODEL, "-T", missing + ".fa", "-o", self.path("e.h5"), LAMBDA],
                     ["finetune", "-m", MODEL, "--task", "classify", "--train", missing + ".csv",
                      "-o", self.path("ft")]):
            with self.subTest(args[0]):
                self.expect_error(args, ": no such file")
        self.expect_error(["embed", "-m", MODEL, "-R", self.tmp, "-o", self.path("e.h5"), LAMBDA],
                          self.tmp + ": is a folder")
        self.assert_only_files()

    def test_unwritable_outputs(self):
        self.expect_error(["embed", "-m", MODEL, "-o", self.path("nodir/e.npy"), LAMBDA], "does not exist")
        self.expect_error(["embed", "-m", MODEL, "-o", self.tmp, LAMBDA], "unknown output type", code=2)
        os.makedirs(self.path("d.npy"))
        self.expect_error(["embed", "-m", MODEL, "-o", self.path("d.npy"), LAMBDA], "is a folder")
        self.expect_error(["predict", "-m", MODEL, "-o", self.path("x.wig"), LAMBDA], "unknown track type", code=2)
        # A folder the system will not create: the system's reason, as a resource error (not "internal error").
        _, _, err = run("pretrain", "-m", MODEL, "-o", "/proc/dnassm_model", "--fasta", LAMBDA, "--steps", "1",
                        "--window", "64", "--batch", "1", expect=1)
        self.assertEqual(err, "dnassm pretrain: /proc/dnassm_model: cannot create directories: No such file or "
                              "directory\n")
        self.assert_only_files("d.npy")

    def test_an_output_never_replaces_an_input(self):
        """`-o` naming one of the run's own inputs (the FASTA, the -R BED, through a link too) is refused before
        anything is written; the inputs stay as they were. Training refuses an -o folder that would lose a model:
        the one trained from, one holding a model (--force replaces it) or a checkpoint (--resume, --force)."""
        fa, bed = self.path("in.fa"), self.path("r.bed")
        shutil.copy(LAMBDA, fa)
        with open(bed, "w") as f:
            f.write("NC_001416.1\t0\t500\n")
        os.symlink("in.fa", self.path("link.fa"))
        with open(fa, "rb") as f:
            before = f.read()
        self.expect_error(["embed", "-m", MODEL, "-O", "h5", "-o", fa, fa],
                          f"{fa}: is an input of this run; write the output to another file", code=2)
        self.expect_error(["predict", "-m", MODEL, "-O", "bedgraph", "-R", bed, "-o", bed, fa],
                          f"{bed}: is an input of this run", code=2)
        self.expect_error(["predict", "-m", MODEL, "-O", "bedgraph", "-o", self.path("link.fa"), fa, "NC_001416.1:1-99"],
                          f"link.fa: is the same file as an input of this run ({fa})", code=2)
        # Standard input redirected from the file the output names (dnassm ... -o r.bed -R - < r.bed).
        with open(bed) as stdin:
            p = subprocess.run([dnassm_binary(), "embed", "-m", MODEL, "--pool", "mean", "-O", "tsv", "-o", bed, "-R",
                                "-", fa], stdin=stdin, capture_output=True, text=True, timeout=600)
        self.assertEqual((p.returncode, p.stderr),
                         (2, f"dnassm embed: {bed}: is the same file as an input of this run (standard input); write "
                             "the output to another file\n"))
        model = self.path("base")
        shutil.copytree(MODEL, model)
        finetune = ["finetune", "-m", model, "--task", "classify", "--train", bed, "--fasta", fa, "--steps", "1"]
        self.expect_error([*finetune, "-o", model + "/"],
                          f"-o {model}/: is the folder of the model trained from (-m {model}); write the trained "
                          "model to another folder", code=2)
        self.expect_error([*finetune, "-o", model + "/", "--force"], "is the folder of the model trained from", code=2)
        other = self.path("other")
        shutil.copytree(MODEL, other)
        self.expect_error([*finetune, "-o", other], f"-o {other}: already holds a model (use --force to replace it)",
                          code=2)
        with open(os.path.join(other, "checkpoint.safetensors"), "wb") as f:
            f.write(b"earlier run")
        self.expect_error(["pretrain", "-m", model, "--fasta", fa, "--steps", "1", "-o", other],
                          f"-o {other}: holds the checkpoint of an earlier run: --resume continues it, --force starts "
                          "over", code=2)
        shutil.rmtree(other)
        # A stream state is the one input a run may replace: a chunk continues it in place (read whole first).
        state = self.path("s.state")
        run("predict", "-m", MODEL, "-r", "NC_001416.1:1-100", "--state-out", state, "-o", self.path("a.bedgraph"), fa)
        run("predict", "-m", MODEL, "-r", "NC_001416.1:101-200", "--state-in", state, "--state-out", state, "-o",
            self.path("b.bedgraph"), fa)
        self.assertIn("continues:    NC_001416.1 at base 200", run("info", state)[1])
        for name in ("s.state", "a.bedgraph", "b.bedgraph"):
            os.remove(self.path(name))
        # A file where the model folder would go: refused before any step (it failed at the end, after training).
        with open(other, "w") as f:
            f.write("notes")
        self.expect_error([*finetune, "-o", other], f"-o {other}: is a file; the trained model is written to a folder",
                          code=2)
        self.expect_error(["convert", model, "-o", other, "--force"],
                          f"-o {other}: is a file; --force replaces a model folder, not a file", code=2)
        os.remove(other)
        with open(fa, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(sorted(os.listdir(model)), ["config.json", "model.safetensors"])
        self.assertTrue(os.path.islink(self.path("link.fa")))
        self.assert_only_files("in.fa", "in.fa.fai", "in.fa.gzi", "r.bed", "link.fa", "base")

    def test_two_outputs_of_a_run_name_one_file(self):
        """-o and --state-out (or --metrics) naming one file: a usage error, not one output left in place of the
        other."""
        region = "NC_001416.1:1-300"
        self.expect_error(["predict", "-m", MODEL, "-O", "bedgraph", "-o", self.path("x"), "--state-out",
                           self.path("./x"), "-r", region, LAMBDA],
                          "x: named as two outputs of this run; give each its own file", code=2)
        csv = self.path("t.csv")
        with open(csv, "w") as f:
            f.write("sequence,label\nACGTACGT,a\n")
        self.expect_error(["predict", "-m", MODEL, "-o", self.path("m.tsv"), "--metrics", self.path("m.tsv"), csv],
                          "--metrics " + self.path("m.tsv") + ": names the -o output too", code=2)
        self.assert_only_files("t.csv")

    def test_a_track_given_twice(self):
        """merge and call name a chunk given twice (also through a link) instead of saying two chunks overlap."""
        track = self.path("c.bedgraph")
        with open(track, "w") as f:
            f.write("chr1\t0\t10\t1.5\n")
        os.symlink("c.bedgraph", self.path("same.bedgraph"))
        self.expect_error(["merge", "-o", self.path("m.bedgraph"), track, track], f"{track}: given twice", code=2)
        self.expect_error(["call", "--threshold", "1", "-o", self.path("c.bed"), track, self.path("same.bedgraph")],
                          f"{self.path('same.bedgraph')}: given twice (as {track})", code=2)
        self.assert_only_files("c.bedgraph", "same.bedgraph")

    def test_devices_and_pipes_are_written_in_place(self):
        """`-o /dev/null` (timing a run) or `-o /dev/stdout` writes to the device; a temp file renamed onto it
        would replace the device itself when run as root, as containers do."""
        for args in (["predict", "-m", MODEL, "-O", "bigwig"], ["embed", "-m", MODEL, "-O", "h5"],
                     ["predict", "-m", MODEL, "-O", "bedgraph"]):
            run(*args, "-o", "/dev/null", LAMBDA, "NC_001416.1:1-300")
            self.assertTrue(os.path.exists("/dev/null") and not os.path.isfile("/dev/null"))
        run("predict", "-m", MODEL, "-o", self.path("file.bw"), LAMBDA, "NC_001416.1:1-300")
        _, piped, _ = run("predict", "-m", MODEL, "-O", "bigwig", "-o", "/dev/stdout", LAMBDA, "NC_001416.1:1-300",
                          binary=True)
        with open(self.path("file.bw"), "rb") as f:
            self.assertEqual(piped, f.read())
        self.expect_error(["predict", "-m", MODEL, "-o", "/dev/null", "-O", "bedgraph", "--write-index", LAMBDA],
                          "--write-index: /dev/null is not a file (a device or pipe) and cannot be indexed", code=2)
        if os.path.exists("/dev/full"):
            self.expect_error(["predict", "-m", MODEL, "-O", "bedgraph", "-o", "/dev/full", LAMBDA,
                               "NC_001416.1:1-300"], "/dev/full: write failed (disk full?)")
        # Standard output closed by the caller (>&-): the input opened next took its descriptor, and the output
        # was appended to the input. Now writing there fails and says so; the input is as it was.
        fa = self.path("in.fa")
        shutil.copy(LAMBDA, fa)
        with open(fa, "rb") as f:
            before = f.read()
        for out in ("-", "/dev/stdout"):
            p = subprocess.run([dnassm_binary(), "embed", "-m", MODEL, "--pool", "mean", "-O", "tsv", "-o", out, fa,
                                "NC_001416.1:1-100"], preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE,
                               timeout=600)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("write failed", p.stderr.decode())
            with open(fa, "rb") as f:
                self.assertEqual(f.read(), before)
        self.assert_only_files("file.bw", "in.fa", "in.fa.fai", "in.fa.gzi")

    def test_stopped_runs_remove_their_temp_files(self):
        """A run stopped by Ctrl+C (SIGINT), a scheduler (SIGTERM) or a closed terminal (SIGHUP) removes the temp
        file it was writing and dies of that signal, so nothing is left that a pipeline could take for output."""
        # Exact masked marginals over 3 kb: long enough to be stopped while writing.
        args = ["predict", "-m", "dnassm-caduceus-small", "-r", "NC_001416.1:1-3000", "-o", self.path("t.bedgraph"),
                LAMBDA]
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with self.subTest(sig.name):
                rc, err = stopped_run(self.tmp, args, sig)
                self.assertEqual(rc, -sig, err)
                self.assert_only_files()
