"""`dnassm pretrain`: training from FASTA, checkpoints and resumption."""
import json
import math
import os
import subprocess

import numpy as np

from cli_support import LAMBDA, ROOT, Tmp, load_json, read_bytes, read_text, run


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
        # One genome given twice would be sampled twice as often: refused, also through a link.
        os.symlink(LAMBDA, self.path("again.fa.gz"))
        _, _, err = run(*args, "--fasta", self.path("again.fa.gz"), "-o", self.path("x"), expect=2)
        self.assertEqual(err, f"dnassm pretrain: --fasta {self.path('again.fa.gz')}: given twice (as {LAMBDA})\n")
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
        self.assertNotIn("pretrain: pretrain", err)
        with open(self.path("short.fa"), "w") as f:
            f.write(">s\n" + "ACGT" * 50 + "\n")
        _, _, err = run("pretrain", "-m", init, "--fasta", self.path("short.fa"), "--window", "256", "-o",
                        self.path("d"), expect=1)
        self.assertIn("no contig's training part (all but the last 10 %) is longer than --window 256 (the longest is "
                      "180 bases)", err)

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
