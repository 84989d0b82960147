"""`dnassm info`, `--help`, `--version` and shell completion."""
import json
import os
import subprocess

from cli_support import GOLDEN_MODEL, LAMBDA, MODEL, ROOT, Tmp, dnassm_binary, run


class InfoAndUsageTests(Tmp):
    def test_info(self):
        _, out, _ = run("info", MODEL)
        self.assertIn("family:      mamba", out)
        self.assertIn("parameters:  468608", out)
        self.assertIn("provenance:\n", out)  # a line per leaf, nested keys dotted
        self.assertIn("\n  trained_by: dnassm pretrain\n", out)
        self.assertIn("\n  evaluation.ecoli536_heldout_last10pct_bits_per_base: 1.8805\n", out)
        self.assertIn("predicts:    loglik, entropy, prob (--track; per base, or summed per sequence with -o OUT.tsv)\n",
                      out)
        self.assertNotIn("task head", out)
        _, out, _ = run("info", GOLDEN_MODEL)
        self.assertIn("format:      mamba_ssm", out)
        self.assertIn("parameters:  66496", out)
        _, out, _ = run("info", "--json")  # the models found by name
        self.assertIn({"name": "dnassm-mamba-small", "dir": MODEL}, json.loads(out))
        # --json: the same description for scripts, provenance as the model's config has it.
        _, out, _ = run("info", "--json", MODEL)
        j = json.loads(out)
        self.assertEqual((j["family"], j["causal_lm"], j["parameters"]), ("mamba", True, 468608))
        self.assertEqual(j["tracks"], ["loglik", "entropy", "prob"])
        self.assertEqual(j["provenance"]["trained_by"], "dnassm pretrain")
        with open(os.path.join(MODEL, "config.json")) as f:
            self.assertEqual(j["provenance"], json.load(f)["provenance"])
        self.assertNotIn("task_head", j)
        _, out, _ = run("info", "--json", GOLDEN_MODEL)
        self.assertTrue(json.loads(out)["provenance"].startswith("published layout: state-spaces/mamba"))

    def test_info_on_a_track_says_what_produced_it(self):
        region = "NC_001416.1:1-200"
        out, bw = self.path("t.bedgraph.gz"), self.path("t.bw")
        run("predict", "-m", MODEL, "-o", out, LAMBDA, region)
        run("predict", "-m", MODEL, "-o", bw, LAMBDA, region)
        _, text, _ = run("info", out)
        self.assertIn(f"format:      bedGraph\nproduced by:\n  dnassm_version: ", text)
        self.assertIn(f"\n  command: dnassm predict -m {MODEL} -o {out} {LAMBDA} {region}\n", text)
        self.assertIn("\n  track: loglik\n", text)
        j = json.loads(run("info", "--json", out)[1])
        self.assertEqual((j["format"], j["description"]["model_family"], j["description"]["device"]),
                         ("bedGraph", "mamba", "cpu"))
        _, text, _ = run("info", bw)
        self.assertIn("format:      bigWig\ncontigs:     1 (48502 bases)\nproduced by: (a bigWig has no place to say)",
                      text)
        j = json.loads(run("info", "--json", bw)[1])
        self.assertEqual((j["contigs"], j["description"]), ([{"name": "NC_001416.1", "length": 48502}], {}))
        run("call", "--threshold", "-1", "-o", self.path("c.bed.gz"), out)
        _, text, _ = run("info", self.path("c.bed.gz"))
        self.assertIn(f"format:      BED\nproduced by:\n  dnassm_version: ", text)
        self.assertIn(f"\n  command: dnassm call --threshold -1 -o {self.path('c.bed.gz')} {out}\n", text)
        run("predict", "-m", MODEL, "--no-provenance", "-o", self.path("q.bedgraph"), LAMBDA, region)
        self.assertIn("produced by: (the file does not say)", run("info", self.path("q.bedgraph"))[1])
        with open(self.path("x.bw"), "w") as f:
            f.write("not a bigWig")
        _, _, err = run("info", self.path("x.bw"), expect=1)
        self.assertEqual(err.strip(), f"dnassm info: {self.path('x.bw')}: not a valid bigWig file (bad magic number)")
        self.assert_only_files("t.bedgraph.gz", "t.bw", "c.bed.gz", "q.bedgraph", "x.bw")

    def test_info_on_embeddings_says_what_produced_them(self):
        import h5py
        import numpy as np
        out = self.path("e.h5")
        run("embed", "-m", MODEL, "--pool", "mean", "-o", out, LAMBDA, "NC_001416.1:1-300", "NC_001416.1:301-500")
        _, text, _ = run("info", out)
        self.assertIn("format:      HDF5 (embeddings)\nvectors:     2 of 128 values (pooled)\nproduced by:\n"
                      "  dnassm_version: ", text)
        self.assertIn(f"\n  command: dnassm embed -m {MODEL} --pool mean -o {out} {LAMBDA} NC_001416.1:1-300 "
                      "NC_001416.1:301-500\n  model: ", text)
        j = json.loads(run("info", "--json", out)[1])
        with h5py.File(out) as f:  # every root attribute, as h5py reads it
            self.assertEqual(j["description"], dict(f.attrs))
            self.assertEqual(j["vectors"], list(f["embeddings"].shape))
        self.assertEqual(list(j["description"])[:6], ["dnassm_version", "command", "model", "model_family",
                                                      "model_fingerprint", "device"])
        # Per-base embeddings: a dataset per region.
        run("embed", "-m", MODEL, "-o", out, LAMBDA, "NC_001416.1:1-300", "NC_001416.1:301-500")
        self.assertIn("format:      HDF5 (embeddings)\ndatasets:    2\nproduced by:\n", run("info", out)[1])
        self.assertEqual(json.loads(run("info", "--json", out)[1])["datasets"], 2)
        # Not dnassm's: what it has (h5py's fixed-length and integer attributes), or that it says nothing.
        with h5py.File(self.path("other.h5"), "w") as f:
            f["x"] = [1.0, 2.0]
            f.attrs["note"] = np.bytes_("plain")  # fixed-length ASCII
            f.attrs["count"] = 3
        j = json.loads(run("info", "--json", self.path("other.h5"))[1])
        self.assertEqual((j["datasets"], j["description"]), (1, {"count": "3", "note": "plain"}))
        with h5py.File(self.path("bare.h5"), "w") as f:
            f["x"] = [1.0]
        self.assertIn("produced by: (the file does not say)", run("info", self.path("bare.h5"))[1])
        with open(self.path("junk.h5"), "w") as f:
            f.write("not HDF5")
        _, _, err = run("info", self.path("junk.h5"), expect=1)
        self.assertEqual(err.strip(), f"dnassm info: {self.path('junk.h5')}: not an HDF5 file")
        # An .npy keeps no provenance: info says what array it holds (read from its header alone).
        run("embed", "-m", MODEL, "--dtype", "f16", "-o", self.path("e.npy"), LAMBDA, "NC_001416.1:1-300")
        _, text, _ = run("info", self.path("e.npy"))
        self.assertIn("format:      NPY, float16, shape 300 x 128\nproduced by: (an .npy file holds no provenance",
                      text)
        np.save(self.path("ids.npy"), np.arange(6, dtype=np.int64).reshape(2, 3))
        j = json.loads(run("info", "--json", self.path("ids.npy"))[1])
        self.assertEqual((j["format"], j["dtype"], j["shape"]), ("NPY", "int64", [2, 3]))
        with open(self.path("junk.npy"), "w") as f:
            f.write("not NPY")
        _, _, err = run("info", self.path("junk.npy"), expect=1)
        self.assertEqual(err.strip(), f"dnassm info: {self.path('junk.npy')}: not a supported .npy file: missing magic")

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
            self.assertEqual(run("help", cmd)[1], out)  # as git and bcftools take it
        _, _, err = run("help", "frobnicate", expect=2)
        self.assertIn("unknown command 'frobnicate'", err)
        run("frobnicate", expect=2)
        # A command alone says how it is used, as samtools does (info alone lists the models).
        _, _, err = run("embed", expect=2)
        self.assertEqual(err, "dnassm embed: usage: dnassm embed -m MODEL_DIR [-r REGION]... [-R BED] -o "
                              "OUT.{npy,h5} IN [REGION]... (all options: 'dnassm embed --help')\n")
        for cmd in ("predict", "score", "merge", "call", "pretrain", "finetune", "convert"):
            _, _, err = run(cmd, expect=2)
            self.assertTrue(err.startswith(f"dnassm {cmd}: usage: dnassm {cmd} "), err)
            self.assertEqual(len(err.splitlines()), 1, err)
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
                           env={**os.environ, "PATH": os.path.dirname(os.path.abspath(dnassm_binary())) + os.pathsep + os.environ["PATH"]})
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
        self.assertEqual(self.complete("help", "pre"), ["predict", "pretrain"])  # dnassm help COMMAND
        self.assertEqual(self.complete("he"), ["help"])
        with open(self.path("genome.fa"), "w") as f:
            f.write(">c\nACGT\n")
        self.assertEqual(self.complete("embed", "-m", "x", "gen"), ["genome.fa"])
