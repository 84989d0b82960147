"""`dnassm predict`, `merge` and `call`: per-base tracks and thresholded calls."""
import gzip
import json
import os
import shlex
import shutil
import signal
import subprocess

import numpy as np
import pyBigWig

from cli_support import (GOLDEN_MODEL, HYENA, LAMBDA, MODEL, Tmp, data_lines, dnassm_binary, expected_calls,
                         lambda_seq, read_safetensors, read_text, run, stopped_run, track_lines)


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
        lines = track_lines(calls)
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
        self.assertEqual(data_lines(out), track_lines(self.path("t.bedgraph")))
        calls = ["--threshold", "-1.5", "--below"]
        run("predict", "-m", MODEL, *region, *calls, "-o", self.path("c.bed"), LAMBDA)
        _, out, _ = run("predict", "-m", MODEL, *region, *calls, "-o", "-", "-O", "bed", LAMBDA)
        self.assertEqual(data_lines(out), track_lines(self.path("c.bed")))
        self.assertTrue(data_lines(out))
        # -O names the format of a file whose name does not; a >> redirect is appended to.
        run("predict", "-m", MODEL, *region, "-O", "bedGraph", "-o", self.path("t.txt"), LAMBDA)
        self.assertEqual(track_lines(self.path("t.txt")), track_lines(self.path("t.bedgraph")))
        with open(self.path("log.txt"), "w") as f:
            f.write("kept\n")
        subprocess.run(f"{dnassm_binary()} predict -m {MODEL} {' '.join(region)} --no-provenance -o - {LAMBDA} "
                       f">> {self.path('log.txt')}", shell=True, check=True)
        self.assertEqual(read_text(self.path("log.txt")),
                         "kept\n" + "".join(l + "\n" for l in track_lines(self.path("t.bedgraph"))))
        run("embed", "-m", MODEL, *region, "--pool", "mean", "-o", self.path("p.tsv"), LAMBDA)
        _, out, _ = run("embed", "-m", MODEL, *region, "--pool", "mean", "-o", "-", LAMBDA)
        self.assertEqual(out, read_text(self.path("p.tsv")))
        _, _, err = run("embed", "-m", MODEL, *region, "-o", "-", LAMBDA, expect=2)
        self.assertIn("per-base embeddings are binary (.npy, .h5) and need a file name", err)
        _, _, err = run("predict", "-m", MODEL, *region, "-o", "-", "-O", "bw", LAMBDA, expect=2)
        self.assertIn("standard output takes text formats (bedgraph, bed, tsv, vcf), not bw", err)
        # A write that fails (here: no space left) is an error, not a silently short output.
        with open("/dev/full", "w") as full:
            p = subprocess.run([dnassm_binary(), "predict", "-m", MODEL, *region, "-o", "-", LAMBDA], stdout=full,
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
        p = subprocess.run([dnassm_binary(), "merge", "-o", self.path("m.bw"), *names[::-1]], capture_output=True,
                           preexec_fn=few_files, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        with pyBigWig.open(self.path("m.bw")) as bw:
            # Every contig the chunks' headers name, as a one-pass predict's header (chrB has no value).
            self.assertEqual(list(bw.chroms().items()), [("chrA", 20000), ("chrB", 100), ("chrC", 100)])
            self.assertIsNone(bw.intervals("chrB"))
            np.testing.assert_array_equal(np.array(bw.values("chrA", 0, 15000), dtype=np.float32), want)
            self.assertEqual(bw.values("chrC", 0, 3)[:2], [1.5, 2.5])
        p = subprocess.run([dnassm_binary(), "call", "--threshold", "0", "--no-provenance", "-o", "-", *names],
                           capture_output=True,
                           preexec_fn=few_files, timeout=600)
        self.assertEqual(p.stdout.decode(), "chrA\t0\t15000\tcall\t0\t.\nchrC\t0\t2\tcall\t0\t.\n")
        for name in names:
            os.remove(name)
        self.assert_only_files("m.bw")

    def test_text_tracks_say_what_produced_them(self):
        # As samtools' @PG and bcftools' ##bcftools_viewCommand: '#' lines atop a bedGraph or BED, which UCSC's
        # tools, bedtools, IGV and tabix skip; --no-provenance leaves them out (samtools' --no-PG).
        region = "NC_001416.1:1-300"
        out = self.path("a b'c.bedgraph")
        quoted = "'" + out.replace("'", "'\\''") + "'"  # as a shell reads it back
        run("predict", "-m", MODEL, "-o", out, LAMBDA, region)
        lines = read_text(out).splitlines()
        head = [l for l in lines if l.startswith("#")]
        self.assertEqual(lines[:len(head)], head, "the description comes first")
        about = dict(l[2:].split(": ", 1) for l in head)
        self.assertEqual(list(about), ["dnassm_version", "command", "model", "model_family", "model_fingerprint",
                                       "device", "track"])
        self.assertEqual(about["command"], f"dnassm predict -m {MODEL} -o {quoted} {LAMBDA} {region}")
        self.assertEqual(shlex.split(about["command"]), ["dnassm", "predict", "-m", MODEL, "-o", out, LAMBDA, region])
        self.assertEqual((about["model_family"], about["device"], about["track"]), ("mamba", "cpu", "loglik"))
        self.assertRegex(about["model_fingerprint"], "^[0-9a-f]{16}$")
        self.assertEqual(os.path.realpath(about["model"]), os.path.realpath(MODEL))
        # Quoted where a shell would split or expand: a space, {a,b}; each track says its own name.
        pattern = self.path("x.{track}.bedgraph")
        run("predict", "-m", MODEL, "--track", "loglik,entropy", "-o", pattern, LAMBDA, region)
        for track in ("loglik", "entropy"):
            first = read_text(self.path(f"x.{track}.bedgraph")).splitlines()[:7]
            self.assertEqual(first[1], f"# command: dnassm predict -m {MODEL} --track loglik,entropy -o '{pattern}' "
                                       f"{LAMBDA} {region}")
            self.assertEqual(first[6], f"# track: {track}")
            os.remove(self.path(f"x.{track}.bedgraph"))
        # merge and call say their own command, then what produced their inputs (samtools merge keeps the
        # inputs' @PG lines); the gathered values are the same.
        run("merge", "-o", self.path("m.bedgraph"), out)
        merged = read_text(self.path("m.bedgraph")).splitlines()
        self.assertEqual(merged[:2], [f"# dnassm_version: {about['dnassm_version']}",
                                      f"# command: dnassm merge -o {self.path('m.bedgraph')} {quoted}"])
        self.assertEqual(merged[2:len(head)], head[2:])
        self.assertEqual(track_lines(self.path("m.bedgraph")), lines[len(head):])
        _, calls, _ = run("call", "--threshold", "-1.3", "--below", "--name", "loglik", "-o", "-",
                          self.path("m.bedgraph"))
        self.assertTrue(calls.startswith(f"# dnassm_version: {about['dnassm_version']}\n# command: dnassm call "))
        self.assertEqual(calls.splitlines()[2:len(head)], head[2:], "through merge to the calls")
        # Only what every input says: another track of the same model keeps the model, not the track; a bigWig
        # says nothing, so with one among the inputs nothing is vouched for.
        run("predict", "-m", MODEL, "--track", "entropy", "-o", self.path("e.bedgraph"), LAMBDA, "NC_001416.1:301-400")
        run("predict", "-m", MODEL, "-o", self.path("u.bw"), LAMBDA, "NC_001416.1:401-500")
        _, both, _ = run("merge", "-o", "-", out, self.path("e.bedgraph"))
        self.assertEqual([l for l in both.splitlines() if l.startswith("#")][2:], head[2:6])
        _, mixed, _ = run("merge", "-o", "-", out, self.path("u.bw"))
        self.assertEqual(len([l for l in mixed.splitlines() if l.startswith("#")]), 2)
        os.remove(self.path("e.bedgraph"))
        os.remove(self.path("u.bw"))
        self.assertGreater(len(data_lines(calls)), 3)
        for cmd in (["predict", "-m", MODEL, "--threshold", "-1.3", "--below", LAMBDA, region], ["merge", out],
                    ["call", "--threshold", "-1.3", "--below", "--name", "loglik", out]):
            _, quiet, _ = run(*cmd[:1], "--no-provenance", "-o", "-", *(["-O", "bed"] if cmd[0] == "predict" else []),
                              *cmd[1:])
            self.assertEqual(quiet.splitlines(), data_lines(quiet), cmd[0])
            self.assertEqual(quiet.splitlines(), data_lines(calls) if cmd[0] != "merge" else lines[len(head):])
        # A bigWig has no place for them: the values alone.
        run("predict", "-m", MODEL, "-o", self.path("t.bw"), LAMBDA, region)
        with pyBigWig.open(self.path("t.bw")) as bw:
            self.assertEqual(len(bw.intervals("NC_001416.1")), len(lines) - len(head))
        self.assert_only_files("a b'c.bedgraph", "m.bedgraph", "t.bw")

    def test_call_from_tracks_and_pipeline_chunks(self):
        # Calls from two chunks computed apart (--context -1: exact) equal predict's calls over the whole.
        opts = ["--threshold", "-1.6", "--below", "--merge-gap", "3", "--min-length", "5"]
        run("predict", "-m", MODEL, "-r", "NC_001416.1:1001-9000", "--context", "-1", *opts, "-o",
            self.path("whole.bed"), LAMBDA)
        for name, region in (("a", "NC_001416.1:1001-5000"), ("b", "NC_001416.1:5001-9000")):
            run("predict", "-m", MODEL, "-r", region, "--context", "-1", "-o", self.path(name + ".bw"), LAMBDA)
        _, _, err = run("call", *opts, "--name", "loglik", "-o", self.path("chunks.bed"), self.path("b.bw"),
                        self.path("a.bw"))
        whole = track_lines(self.path("whole.bed"))
        self.assertGreater(len(whole), 20)
        self.assertEqual(track_lines(self.path("chunks.bed")), whole)
        _, out, _ = run("call", *opts, "--name", "loglik", "-o", "-", self.path("a.bw"), self.path("b.bw"))
        self.assertEqual(data_lines(out), whole)
        # A bedGraph on standard input, as from `dnassm predict -o - ... | dnassm call ... -`.
        _, graph, _ = run("predict", "-m", MODEL, "-r", "NC_001416.1:1001-9000", "--context", "-1", "-o", "-",
                          LAMBDA)
        _, out, _ = run("call", *opts, "--name", "loglik", "-o", "-", "-", stdin=graph.encode())
        self.assertEqual(data_lines(out), whole)
        for cmd in (["call", *opts], ["merge"]):
            _, _, err = run(*cmd, "-o", "-", "-", "-", stdin=graph.encode(), expect=2)
            self.assertIn("- (standard input) is given more than once; it can be read once", err)
        _, _, err = run("call", "-o", self.path("x.bed"), self.path("a.bw"), expect=2)
        self.assertIn("--threshold is required", err)
        _, _, err = run("call", "--threshold", "0", "-o", self.path("x.bed"), self.path("a.bw"), self.path("a.bw"),
                        expect=2)
        self.assertIn("a.bw: given twice", err)
        shutil.copy(self.path("a.bw"), self.path("copy.bw"))
        _, _, err = run("call", "--threshold", "0", "-o", self.path("x.bed"), self.path("a.bw"), self.path("copy.bw"),
                        expect=1)
        self.assertIn("copy.bw both cover NC_001416.1:1001 (chunks must not overlap)", err)
        os.remove(self.path("copy.bw"))
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
        _, out, _ = run("call", "--threshold", "0", "--no-provenance", "-o", "-", self.path("o.bedgraph"))
        self.assertEqual(out, "chr1\t0\t200000010\tcall\t0\t.\n")
        _, out, err = run("merge", "--no-provenance", "-o", "-", self.path("o.bedgraph"))
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
        _, out, _ = run("info", "--json", self.path("b.state"))
        self.assertEqual({k: v for k, v in json.loads(out).items() if k in ("contig", "next_base", "model")},
                         {"contig": c, "next_base": 30000, "model": MODEL})
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
        self.assertIn("--shard 4/4: more shards than bases to run (3)", err)
        _, _, err = run("predict", "-m", MODEL, "--shard", "1/2", "--state-out", self.path("x.state"), "-o",
                        self.path("x.bw"), LAMBDA, expect=2)
        self.assertIn("--shard cuts the regions itself", err)
        self.assert_only_files("r.bed", "whole.bw", "s1.bw", "s2.bw", "s3.bw", "s4.bw", "merged.bw")

    def test_bins_are_means_of_the_per_base_track_and_shards_gather_to_one_run(self):
        """--bin-size N, as deepTools' --binSize: bins at multiples of N on the contig, clipped to the regions."""
        regions = ["NC_001416.1:101-9000", "NC_001416.1:20011-20500"]
        run("predict", "-m", MODEL, "--context", "-1", "-o", self.path("base.bw"), LAMBDA, *regions)
        run("predict", "-m", MODEL, "--context", "-1", "--bin-size", "128", "-o", self.path("bins.bw"), LAMBDA,
            *regions)
        with pyBigWig.open(self.path("base.bw")) as a, pyBigWig.open(self.path("bins.bw")) as b:
            self.assertEqual(b.chroms(), a.chroms())
            bins = b.intervals("NC_001416.1")
            x = np.array(a.values("NC_001416.1", 0, 48502))
        edges = [(s, e) for s, e, _ in bins]
        self.assertEqual(edges[:2], [(100, 128), (128, 256)])  # the first clipped to the region
        self.assertIn((8960, 9000), edges)
        self.assertEqual(edges[-5:], [(20010, 20096), (20096, 20224), (20224, 20352), (20352, 20480), (20480, 20500)])
        self.assertEqual(sum(e - s for s, e in edges), 8900 + 490)
        for s, e, v in bins:
            self.assertAlmostEqual(v, float(np.nanmean(x[s:e])), places=5)
        # The same bins as bedGraph; calls on them; and shards (cut at multiples of N) merged.
        _, out, _ = run("predict", "-m", MODEL, "--context", "-1", "--bin-size", "128", "-o", "-", "-O", "bedgraph",
                        LAMBDA, *regions)
        self.assertEqual([tuple(int(f) for f in l.split("\t")[1:3]) for l in data_lines(out)], edges)
        for i in (1, 2, 3):
            run("predict", "-m", MODEL, "--context", "-1", "--bin-size", "128", "--shard", f"{i}/3", "-o",
                self.path(f"s{i}.bw"), LAMBDA, *regions)
            with pyBigWig.open(self.path(f"s{i}.bw")) as bw:
                first = bw.intervals("NC_001416.1")[0]
            if i > 1:
                self.assertEqual(first[0] % 128, 0)
        run("merge", "-o", self.path("merged.bw"), *[self.path(f"s{i}.bw") for i in (1, 2, 3)])
        with pyBigWig.open(self.path("merged.bw")) as m:
            self.assertEqual(m.intervals("NC_001416.1"), bins)  # bins, not bases
        threshold = str(float(np.median([v for _, _, v in bins])))
        run("predict", "-m", MODEL, "--context", "-1", "--bin-size", "128", "--threshold", threshold, "-o",
            self.path("c.bed"), LAMBDA, *regions)
        run("call", "--threshold", threshold, "--name", "loglik", "-o", self.path("m.bed"), self.path("merged.bw"))
        calls = track_lines(self.path("c.bed"))
        self.assertEqual(track_lines(self.path("m.bed")), calls)
        called = [(int(l.split("\t")[1]), int(l.split("\t")[2])) for l in calls]
        self.assertGreater(len(called), 3)
        self.assertTrue(all(any(s == b for b, _ in edges) and any(e == c for _, c in edges) for s, e in called))
        # A shard whose cuts, moved back to multiples of the bin, leave it nothing: an empty track.
        _, _, err = run("predict", "-m", MODEL, "--bin-size", "100000", "--shard", "2/3", "-o", self.path("e.bw"),
                        LAMBDA, regions[0])
        self.assertIn("--shard 2/3: its cuts, moved back to multiples of --bin-size 100000, leave it no bases", err)
        with pyBigWig.open(self.path("e.bw")) as bw:
            self.assertEqual(bw.intervals("NC_001416.1"), None)
        os.remove(self.path("e.bw"))
        for bad, needle in ((["--bin-size", "0"], "--bin-size must be 1 to 2^30 bases"),
                            (["--bin-size", "10", "-O", "tsv"], "--bin-size applies to per-base tracks")):
            _, _, err = run("predict", "-m", MODEL, *bad, "-o", self.path("x.out"), LAMBDA, regions[0], expect=2)
            self.assertIn(needle, err)
        self.assert_only_files("base.bw", "bins.bw", "s1.bw", "s2.bw", "s3.bw", "merged.bw", "c.bed", "m.bed")

    def test_many_short_regions_same_track_for_any_thread_count(self):
        # Short regions run side by side, a region per thread; the track is the same as one at a time.
        with open(self.path("r.bed"), "w") as f:
            for i in range(80):
                f.write(f"NC_001416.1\t{i * 600}\t{i * 600 + 250 + i}\tp{i}\n")
        for t in ("1", "2"):
            run("predict", "-m", MODEL, "--rc", "-R", self.path("r.bed"), "-@", t, "-o", self.path(f"t{t}.bedgraph"),
                LAMBDA)
        one = track_lines(self.path("t1.bedgraph"))
        self.assertGreater(len(one), 80 * 200)
        self.assertEqual(track_lines(self.path("t2.bedgraph")), one)

    def test_chunk_of_n_bases_is_an_empty_track_that_merges(self):
        """A pipeline's chunk inside an assembly gap (all N) has no values: predict writes an empty
        track and says so instead of failing the chunk, and merge gathers it with the others."""
        fa = self.path("gap.fa")
        with open(fa, "w") as f:
            f.write(">g\n" + "N" * 3000 + lambda_seq()[:2000] + "\n")
        _, _, err = run("predict", "-m", MODEL, "-r", "g:1-3000", "-o", self.path("gap.bw"), fa)
        self.assertIn("gap.bw: no base of the regions has a value", err)
        bw = pyBigWig.open(self.path("gap.bw"))
        self.assertEqual(bw.chroms(), {"g": 5000})
        self.assertIsNone(bw.intervals("g"))
        bw.close()
        for out in ("gap.bedgraph.gz", "gap.bed"):
            args = ["--threshold", "-1"] if out.endswith(".bed") else []
            _, _, err = run("predict", "-m", MODEL, "-r", "g:1-3000", *args, "-o", self.path(out), fa)
            self.assertIn(f"{out}: no base of the regions has a value", err)
        self.assertEqual(track_lines(self.path("gap.bed")), [])
        run("predict", "-m", MODEL, "-r", "g:3001-5000", "--context", "-1", "-o", self.path("seq.bw"), fa)
        run("merge", "-o", self.path("all.bw"), self.path("gap.bw"), self.path("seq.bw"))
        run("predict", "-m", MODEL, "-o", self.path("one.bw"), fa)
        merged, one = pyBigWig.open(self.path("all.bw")), pyBigWig.open(self.path("one.bw"))
        self.assertEqual((merged.chroms(), merged.intervals("g")), (one.chroms(), one.intervals("g")))
        # Gathering only empty chunks gives empty outputs, said so, not an error.
        _, _, err = run("merge", "-o", self.path("none.bw"), self.path("gap.bw"))
        self.assertIn("the inputs hold no values", err)
        self.assertEqual(pyBigWig.open(self.path("none.bw")).chroms(), {"g": 5000})
        _, out, err = run("call", "--threshold", "0", "-o", "-", self.path("gap.bw"))
        self.assertEqual(data_lines(out), [])
        self.assertIn("the inputs hold no values", err)

    def test_large_per_base_bigwigs_say_what_memory_they_need(self):
        """libBigWig holds a bigWig's zoom levels until it closes: a genome-sized per-base bigWig is told its memory
        (~2.7 bytes per base and track, and 12 per base of the largest contig) before the run starts."""
        fa = self.path("big.fa.gz")
        with gzip.open(fa, "wb", compresslevel=1) as f:  # one 140 Mb contig, ~0.5 MB compressed
            f.write(b">big\n")
            line = b"ACGTTGCA" * 10 + b"\n"
            f.write(line * (140_000_000 // 80))
        rc, err = stopped_run(self.tmp, ["predict", "-m", MODEL, "-o", self.path("b.bw"), fa], signal.SIGTERM)
        self.assertEqual(rc, -signal.SIGTERM, err)
        self.assertIn("a per-base bigWig of 140000000 bases will need about 2 GB of memory as it is written", err)
        self.assertIn("a bedGraph (-o OUT.bedgraph.gz) holds nothing back", err)
        rc, err = stopped_run(self.tmp, ["predict", "-m", MODEL, "--track", "loglik,entropy", "-o",
                                         self.path("b.{track}.bw"), fa], signal.SIGTERM)
        self.assertIn("per-base bigWigs of 140000000 bases will need about 2 GB", err)  # 2.7 x 2 + 12 bytes
        for args in (["-o", self.path("b.bedgraph.gz")], ["--bin-size", "10", "-o", self.path("b.bw")]):
            rc, err = stopped_run(self.tmp, ["predict", "-m", MODEL, *args, fa], signal.SIGTERM)
            self.assertEqual(rc, -signal.SIGTERM, err)
            self.assertNotIn("of memory", err)
        self.assert_only_files("big.fa.gz")

    def test_merge_and_call_refuse_files_that_are_not_tracks(self):
        """A FASTA or a BED handed to merge or call (a mistyped glob) is named and refused, with no output left."""
        bed = self.path("regions.bed")
        with open(bed, "w") as f:
            f.write("NC_001416.1\t0\t100\n")
        for args in (("merge", "-o", self.path("m.bw")), ("call", "--threshold", "0.5", "-o", self.path("c.bed"))):
            for wrong in (LAMBDA, bed):
                _, _, err = run(*args, wrong, expect=2)
                self.assertEqual(err.strip().splitlines(),
                                 [f"dnassm {args[0]}: {wrong}: tracks are .bw/.bigwig or .bedgraph/.bg "
                                  "(.bedgraph.gz compressed), or - for bedGraph on standard input"])
        self.assert_only_files("regions.bed")

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
        self.assertEqual(track_lines(bed), [])
        os.remove(bed)
        self.assert_only_files()

    def test_entropy_bedgraph_and_merged_regions(self):
        out = self.path("e.bedgraph")
        run("predict", "-m", MODEL, "--track", "entropy", "-r", "NC_001416.1:501-600", "-r",
            "NC_001416.1:101-200", "-r", "NC_001416.1:150-250", "-o", out, LAMBDA)
        rows = [l.split("\t") for l in track_lines(out)]
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
