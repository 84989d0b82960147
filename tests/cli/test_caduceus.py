"""Caduceus (bidirectional, RC-equivariant) models through the CLI."""
import json
import math
import os

import numpy as np

from cli_support import LAMBDA, ROOT, Tmp, data_lines, load_json, random_dna, read_text, run, track_lines


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
        _, _, err = run("embed", "-m", d, "--rc", "-o", self.path("rc.npy"), fa)
        self.assertIn("--rc doubles the work and changes nothing", err)
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
        self.assertEqual(track_lines(self.path("m2.bedgraph")), track_lines(self.path("m.bedgraph")))
        run("predict", "-m", d, "--mlm-context", "60", "--rc", "-o", self.path("r.bedgraph"), self.path("s.fa"))
        m = np.loadtxt(self.path("m.bedgraph"), usecols=3)
        r = np.loadtxt(self.path("r.bedgraph"), usecols=3)
        self.assertEqual(len(m), 150)  # every base has a masked marginal (no first-base gap)
        self.assertTrue((m < 0).all() and (m > -20).all())
        # PS is RC-equivariant: the reverse strand's masked marginal of the complement is the same.
        np.testing.assert_allclose(m, r, atol=1e-4)
        # A region with --context at least --mlm-context: the whole run's values there (its passes see the same
        # bases). Only the region's 40 bases get a masked pass (per strand), not the context's too: the progress
        # report counts passes.
        for extra in ([], ["--rc"]):
            _, part, err = run("predict", "-m", d, "--mlm-context", "60", "--context", "60", "--progress", "json",
                               *extra, "-o", "-", self.path("s.fa"), "s:41-80")
            whole = track_lines(self.path("r.bedgraph" if extra else "m.bedgraph"))[40:80]
            self.assertEqual(data_lines(part), whole, extra)
            done = [json.loads(l) for l in err.splitlines() if '"event":"done"' in l]
            self.assertEqual((done[-1]["bases_done"], done[-1]["bases_total"]), (40 * (1 + len(extra)),) * 2)
        run("predict", "-m", d, "--mlm-context", "60", "--track", "entropy", "-o", self.path("e.bedgraph"),
            self.path("s.fa"))
        e = np.loadtxt(self.path("e.bedgraph"), usecols=3)
        self.assertTrue((e >= 0).all() and (e <= np.log(4) + 1e-6).all())
        # prob: the masked base's probability itself.
        run("predict", "-m", d, "--mlm-context", "60", "--track", "prob", "-o", self.path("p.bedgraph"),
            self.path("s.fa"))
        np.testing.assert_allclose(np.loadtxt(self.path("p.bedgraph"), usecols=3), np.exp(m), rtol=2e-6)

    def test_spaced_masks_approximate_a_pass_per_base(self):
        """--mlm-spacing K: K masked passes per core of 8 x --mlm-context bases instead of one per base. On
        the bundled model the values follow the exact ones closely; a chunk read with --context of at least
        9 x --mlm-context has the whole run's values (cores and masks sit on the contig); -@ changes nothing."""
        args = ["-m", "dnassm-caduceus-small", "--mlm-context", "64", "--no-provenance", "--progress", "none"]
        _, _, err = run("predict", *args, "-r", "NC_001416.1:44001-44600", "-o", self.path("exact.bedgraph"), LAMBDA)
        # Exact by default, and the note says what that costs and what is faster.
        self.assertIn("is a masked LM: each of the 600 bases written gets a pass of its own", err)
        self.assertIn("--mlm-spacing 16 masks bases 16 apart together", err)
        _, _, err = run("predict", *args, "--mlm-spacing", "16", "-r", "NC_001416.1:44001-44600", "-o",
                        self.path("s.bedgraph"), LAMBDA)
        self.assertNotIn("gets a pass of its own", err)
        _, _, err = run("predict", *args, "--mlm-spacing", "0", "-r", "NC_001416.1:44001-44010", "-o",
                        self.path("e0.bedgraph"), LAMBDA)
        self.assertNotIn("gets a pass of its own", err)  # chosen, so not noted
        exact = np.loadtxt(self.path("exact.bedgraph"), usecols=3)
        spaced = np.loadtxt(self.path("s.bedgraph"), usecols=3)
        self.assertEqual(len(spaced), 600)
        self.assertGreater(np.corrcoef(exact, spaced)[0, 1], 0.98)
        self.assertLess(np.abs(exact - spaced).mean(), 0.06)
        self.assertFalse(np.array_equal(exact, spaced))
        _, out, _ = run("predict", *args, "--mlm-spacing", "16", "-@", "2", "-r", "NC_001416.1:44001-44600", "-o", "-",
                        LAMBDA)
        self.assertEqual(data_lines(out), track_lines(self.path("s.bedgraph")))
        # Read with 575 = 9 x 64 - 1 bases of context, each base sees the contig as a whole run would:
        # bases 44201-44300 so read are those of 44001-44600 so read.
        spaced = ["--mlm-spacing", "16", "--context", "575"]
        _, whole, _ = run("predict", *args, *spaced, "-r", "NC_001416.1:44001-44600", "-o", "-", LAMBDA)
        _, out, err = run("predict", *args[:-2], "--progress", "json", *spaced, "-r", "NC_001416.1:44201-44300",
                          "-o", "-", LAMBDA)
        self.assertEqual(data_lines(out), data_lines(whole)[200:300])
        done = [json.loads(l) for l in err.splitlines() if '"event":"done"' in l]
        self.assertEqual(done[-1]["bases_done"], 100)  # progress counts the bases predicted
        for bad in ("1", "-3"):
            _, _, err = run("predict", *args, "--mlm-spacing", bad, "-o", self.path("x.bedgraph"), LAMBDA, expect=2)
            self.assertIn("--mlm-spacing must be 0 (a pass per base) or at least 2", err)
        _, _, err = run("predict", "-m", "dnassm-mamba-small", "--mlm-spacing", "16", "-r", "NC_001416.1:1-100", "-o",
                        self.path("c.bedgraph"), LAMBDA)
        self.assertIn("--mlm-context and --mlm-spacing apply to masked LMs", err)
