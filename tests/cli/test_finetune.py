"""`dnassm finetune` and fine-tuned models in `predict`."""
import json
import os

import numpy as np
import pyBigWig

from cli_support import (LAMBDA, MODEL, ROOT, Tmp, auroc, expected_calls, lambda_seq, load_json, random_dna,
                         read_bytes, read_safetensors, read_text, revcomp, run, track_lines)


class FinetuneTests(Tmp):
    def write_csv(self, name, rows):
        with open(self.path(name), "w") as f:
            f.write("sequence,label\n")
            for seq, y in rows:
                f.write(f"{seq},{y}\n")
        return self.path(name)

    def gc_rows(self, rng, n):
        ys = rng.integers(0, 2, size=n)
        return [(random_dna(rng, 60, 0.7 if y else 0.3), int(y)) for y in ys]

    def test_classify_learns_under_bf16_autocast(self):
        rng = np.random.default_rng(1)
        train = self.write_csv("train.csv", self.gc_rows(rng, 240))
        val = self.write_csv("val.csv", self.gc_rows(rng, 60))
        out = self.path("tuned16")
        run("finetune", "-m", MODEL, "--task", "classify", "--train", train, "--val", val, "--epochs", "3",
            "--batch", "8", "--lr", "3e-3", "--warmup", "5", "--bf16", "-o", out, "--progress", "none")
        self.assertGreater(load_json(os.path.join(out, "metrics.json"))["val"]["accuracy"], 0.9)
        self.assertTrue(load_json(os.path.join(out, "config.json"))["provenance"]["bf16_autocast"])

    def test_classify_csv_learns_and_predict_tsv_agrees_with_validation(self):
        rng = np.random.default_rng(1)
        train = self.write_csv("train.csv", self.gc_rows(rng, 240))
        val_rows = self.gc_rows(rng, 60)
        val = self.write_csv("val.csv", val_rows)
        out = self.path("tuned")
        _, _, err = run("finetune", "-m", MODEL, "--task", "classify", "--train", train, "--val", val,
                        "--epochs", "3", "--batch", "8", "--lr", "3e-3", "--warmup", "5", "-o", out,
                        "--progress", "none")
        self.assertIn("AUROC", err)
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["accuracy"], 0.9, metrics)
        self.assertGreater(metrics["auroc"], 0.95, metrics)
        cfg = load_json(os.path.join(out, "config.json"))
        self.assertEqual(cfg["task_head"]["task"], "classify")
        _, info, _ = run("info", out)
        self.assertIn("task head:   classify, 2 classes\npredicts:    a row per sequence (-o OUT.tsv): p_0 p_1 class\n", info)
        self.assertEqual(cfg["task_head"]["classes"], ["0", "1"])
        head = read_safetensors(os.path.join(out, "head.safetensors"))
        self.assertEqual(head["head.weight"].shape, (2, 128))
        log = [json.loads(l) for l in read_text(os.path.join(out, "finetune_log.jsonl")).splitlines()]
        self.assertEqual(len(log), 3)  # one validation per epoch
        # The backbone was trained too.
        self.assertFalse(np.array_equal(read_safetensors(os.path.join(out, "model.safetensors"))["embedding.weight"],
                                        read_safetensors(os.path.join(MODEL, "model.safetensors"))["embedding.weight"]))

        run("predict", "-m", out, "-o", self.path("p.tsv"), val)
        lines = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(lines[0].split("\t"), ["id", "chrom", "start", "end", "length", "p_0", "p_1", "class"])
        self.assertEqual(len(lines), 61)
        p = np.array([[float(x) for x in l.split("\t")[5:7]] for l in lines[1:]])
        np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
        # A table row has no interval; its id is its row number, its class the most probable one.
        self.assertEqual([l.split("\t")[:5] for l in lines[1:3]],
                         [[str(i), "", "", "", str(len(val_rows[i - 1][0]))] for i in (1, 2)])
        self.assertEqual([l.split("\t")[7] for l in lines[1:]], [str(c) for c in p.argmax(1)])
        acc = np.mean(p.argmax(1) == np.array([y for _, y in val_rows]))
        self.assertAlmostEqual(acc, metrics["accuracy"], places=6)
        # The head by hand: softmax(W · mean of the tuned backbone's hidden states + b).
        run("embed", "-m", out, "--pool", "mean", "-o", self.path("pooled.npy"), val)
        z = np.load(self.path("pooled.npy")).astype(np.float64) @ head["head.weight"].T.astype(np.float64)
        z += head["head.bias"]
        want = np.exp(z - z.max(1, keepdims=True))
        np.testing.assert_allclose(p, want / want.sum(1, keepdims=True), atol=2e-6)
        _, stdout, _ = run("predict", "-m", out, "-o", "-", val)
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        _, stdout, _ = run("predict", "-m", out, "-@", "2", "-o", "-", val)  # rows side by side
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        import gzip
        with open(val, "rb") as f, gzip.open(self.path("val.csv.gz"), "wb") as g:
            g.write(f.read())
        _, stdout, _ = run("predict", "-m", out, "-o", "-", self.path("val.csv.gz"))  # a gzipped table
        self.assertEqual(stdout, read_text(self.path("p.tsv")))
        whole = read_text(self.path("p.tsv")).splitlines()
        shards = [run("predict", "-m", out, "--shard", f"{i}/3", "-o", "-", val)[1].splitlines() for i in (1, 2, 3)]
        self.assertEqual(shards[0][:1] + sum([part[1:] for part in shards], []), whole)
        _, _, err = run("predict", "-m", out, "-o", "-", "-O", "bed", val, expect=2)
        self.assertIn("a classification model writes a TSV (-o OUT.tsv), not BED calls", err)
        # A classifier has no per-base track.
        code, _, err = run("predict", "-m", out, "--track", "entropy", "-o", self.path("x.tsv"), val, expect=2)
        self.assertIn("--track does not apply", err)

    def test_full_finetune_of_a_hyena_backbone(self):
        rng = np.random.default_rng(6)
        train = self.write_csv("train.csv", self.gc_rows(rng, 160))
        val = self.write_csv("val.csv", self.gc_rows(rng, 40))
        hyena = os.path.join(ROOT, "tests", "data", "golden", "hyenadna_tiny1k_L1024")
        args = ["finetune", "-m", hyena, "--train", train, "--val", val, "--epochs", "3", "--batch", "8", "--lr",
                "1e-3", "--progress", "none"]
        run(*args, "-o", self.path("ft"))
        run(*args, "-o", self.path("ft_r"), "--recompute")  # recomputed activations: the same weights
        for f in ("model.safetensors", "head.safetensors"):
            self.assertEqual(read_bytes(self.path("ft/" + f)), read_bytes(self.path("ft_r/" + f)), f)
        metrics = load_json(self.path("ft/metrics.json"))
        self.assertGreater(metrics["val"]["accuracy"], 0.8)
        cfg = load_json(self.path("ft/config.json"))
        self.assertEqual(cfg["family"], "hyena")
        self.assertFalse(cfg["provenance"]["freeze_backbone"])
        run("predict", "-m", self.path("ft"), "-o", self.path("p.tsv"), val)
        rows = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(rows[0].split("\t"), ["id", "chrom", "start", "end", "length", "p_0", "p_1", "class"])
        self.assertEqual(len(rows), 41)

    def test_frozen_backbone_bed_input_and_region_predictions(self):
        seq = lambda_seq()
        rng = np.random.default_rng(2)
        lines = []
        for i, beg in enumerate(range(0, 48000, 200)):
            w = seq[beg:beg + 200]
            gc = (w.count("G") + w.count("C")) / len(w)
            lines.append((beg, beg + 200, f"w{i}", int(gc > 0.5)))
        rng.shuffle(lines)
        def bed(name, rows):
            with open(self.path(name), "w") as f:
                for b, e, n, y in rows:
                    f.write(f"NC_001416.1\t{b}\t{e}\t{n}\t{y}\n")
            return self.path(name)
        train, val = bed("train.bed", lines[:180]), bed("val.bed", lines[180:])
        out = self.path("probe")
        run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--fasta", LAMBDA,
            "--label-column", "5", "--epochs", "20", "--batch", "16", "--lr", "0.02", "--patience", "20",
            "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.85, metrics)
        # Frozen: the backbone file is the base model's, byte for byte.
        self.assertEqual(read_bytes(os.path.join(out, "model.safetensors")),
                         read_bytes(os.path.join(MODEL, "model.safetensors")))
        # The features and validations of short examples run side by side with -@ 2: same head.
        run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--fasta", LAMBDA,
            "--label-column", "5", "--epochs", "20", "--batch", "16", "--lr", "0.02", "--patience", "20",
            "-@", "2", "-o", self.path("probe2"), "--progress", "none")
        self.assertEqual(read_bytes(os.path.join(self.path("probe2"), "head.safetensors")),
                         read_bytes(os.path.join(out, "head.safetensors")))
        run("predict", "-m", out, "-R", val, "-o", self.path("p.tsv"), LAMBDA)
        rows = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(len(rows), 1 + len(lines) - 180)
        # ids are the BED names, with the intervals beside them.
        self.assertEqual(rows[1].split("\t")[:5], [lines[180][2], "NC_001416.1", *map(str, lines[180][:2]), "200"])

    def test_held_out_examples_of_a_sorted_bed(self):
        # A BED sorted by class: the held-out part, and a --max-train sample, still have both classes.
        seq = lambda_seq()
        rows = []
        for beg in range(0, 48000, 200):
            w = seq[beg:beg + 200]
            rows.append((beg, beg + 200, int((w.count("G") + w.count("C")) / len(w) > 0.5)))
        rows.sort(key=lambda r: r[2])
        with open(self.path("sorted.bed"), "w") as f:
            for b, e, y in rows:
                f.write(f"NC_001416.1\t{b}\t{e}\tw{b}\t{y}\n")
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--train", self.path("sorted.bed"), "--fasta", LAMBDA,
                "--label-column", "5", "--epochs", "10", "--batch", "16", "--lr", "0.02", "--patience", "10",
                "--progress", "none"]
        _, _, err = run(*args, "-o", self.path("held"))
        n1 = sum(y for _, _, y in rows)
        n_val = int(0.1 * n1 + 0.5) + int(0.1 * (len(rows) - n1) + 0.5)  # halves round up
        self.assertIn(f"no --val; validating on {n_val} examples of {self.path('sorted.bed')} (10 % of each class, "
                      "drawn with --seed 1)", err)
        metrics = load_json(self.path("held/metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.85, metrics)  # NaN if validation had one class
        prov = load_json(self.path("held/config.json"))["provenance"]
        self.assertEqual(prov["val"], self.path("sorted.bed") + " (10 % of each class, seed 1)")
        run(*args, "--max-train", "60", "-o", self.path("few"))  # the first 60 would all be class 0
        self.assertGreater(load_json(self.path("few/metrics.json"))["val"]["auroc"], 0.7)

        # A held-out stretch of the genome: examples touching it validate, the rest train.
        _, _, err = run(*args, "--val-region", "NC_001416.1:40001-48502", "-o", self.path("region"))
        n_in = sum(1 for b, e, _ in rows if e > 40000)
        self.assertIn(f"{n_in} examples of {self.path('sorted.bed')} in --val-region validate, "
                      f"{len(rows) - n_in} train", err)
        self.assertEqual(load_json(self.path("region/config.json"))["provenance"]["val"],
                         self.path("sorted.bed") + " inside --val-region NC_001416.1:40001-48502")
        _, _, err = run(*args, "--val-region", "NC_001416.1:40001-48502", "--train-region", "NC_001416.1:1-20000",
                        "-o", self.path("region2"))
        self.assertIn(f"{n_in} examples of {self.path('sorted.bed')} in --val-region validate, 100 train", err)

        for extra, msg in [(["--train-region", "NC_001416.1:1-20000"], "--train-region alone has nothing"),
                           (["--val-region", "NC_001416.1", "--val", self.path("sorted.bed")], "and no --val"),
                           (["--val-region", "chrX"], "unknown contig 'chrX'")]:
            _, _, err = run(*args, *extra, "-o", self.path("bad"), expect=1 if "chrX" in msg else 2)
            self.assertIn(msg, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        csv = self.write_csv("t.csv", self.gc_rows(np.random.default_rng(5), 40))
        _, _, err = run("finetune", "-m", MODEL, "--train", csv, "--val-region", "NC_001416.1", "-o", self.path("bad"),
                        expect=2)
        self.assertIn("t.csv: --val-region/--train-region need a BED of labeled intervals", err)
        self.assertFalse(os.path.exists(self.path("bad")))

    def test_stranded_bed_examples_and_their_predictions(self):
        seq = lambda_seq()
        rows = []
        for i, beg in enumerate(range(0, 48000, 300)):
            w = seq[beg:beg + 150]
            strand = "+-"[i % 2]
            oriented = w if strand == "+" else revcomp(w)
            rows.append((beg, strand, int((w.count("G") + w.count("C")) / len(w) > 0.5), oriented))
        with open(self.path("s.bed"), "w") as f:
            for beg, strand, y, _ in rows:
                f.write(f"NC_001416.1\t{beg}\t{beg + 150}\tx{beg}\t{y}\t{strand}\n")
        out = self.path("tuned")
        run("finetune", "-m", MODEL, "--freeze-backbone", "--stranded", "--train", self.path("s.bed"), "--fasta",
            LAMBDA, "--label-column", "5", "--epochs", "3", "-o", out, "--progress", "none")
        self.assertTrue(load_json(os.path.join(out, "config.json"))["provenance"]["stranded"])
        with open(self.path("oriented.csv"), "w") as f:
            f.write("id,sequence,label\n")
            for beg, _, y, oriented in rows:
                f.write(f"x{beg},{oriented},{y}\n")
        _, by_bed, _ = run("predict", "-m", out, "--stranded", "-R", self.path("s.bed"), "-o", "-", LAMBDA)
        _, by_csv, _ = run("predict", "-m", out, "-o", "-", self.path("oriented.csv"))
        # The same rows but for the intervals, which a CSV row has not.
        cells = lambda table, cols: [[c for k, c in enumerate(l.split("\t")) if k not in cols] for l in table.splitlines()]
        self.assertEqual(cells(by_bed, (1, 2, 3)), cells(by_csv, (1, 2, 3)))
        self.assertEqual(by_bed.splitlines()[2].split("\t")[:4], ["x300", "NC_001416.1", "300", "450"])
        _, unstranded, _ = run("predict", "-m", out, "-R", self.path("s.bed"), "-o", "-", LAMBDA)
        self.assertNotEqual(unstranded, by_csv)
        # --metrics reads the labels from the BED's column, as finetune did: the CSV's numbers.
        _, _, err = run("predict", "-m", out, "--stranded", "-R", self.path("s.bed"), "--metrics", self.path("b.json"),
                        "--label-column", "5", "-o", "-", LAMBDA)
        self.assertIn(f"labeled rows of {self.path('s.bed')}: acc", err)
        run("predict", "-m", out, "--metrics", self.path("c.json"), "-o", "-", self.path("oriented.csv"))
        self.assertEqual(load_json(self.path("b.json")), load_json(self.path("c.json")))
        # Column 4 holds names, not the model's classes; -r has no labels; --label-column alone means nothing.
        bed = ["--stranded", "-R", self.path("s.bed")]
        for args, code, msg in [([*bed, "--metrics", self.path("x.json")], 1, "s.bed: interval 1: label 'x"),
                                (["-r", "NC_001416.1:1-500", "--metrics", self.path("x.json")], 2,
                                 "--metrics needs labels: a CSV with a 'label' column, a GenomicBenchmarks folder, or the intervals of -R BED"),
                                ([*bed, "--metrics", self.path("x.json"), "--label-column", "9"], 1,
                                 "s.bed: line 1: no column 9 (the label)"),
                                ([*bed, "--label-column", "5"], 2,
                                 "--label-column names the labels --metrics scores against")]:
            _, _, err = run("predict", "-m", out, *args, "-o", self.path("x.tsv"), LAMBDA, expect=code)
            self.assertIn(msg, err)
            self.assertFalse(os.path.exists(self.path("x.json")) or os.path.exists(self.path("x.tsv")))

        _, _, err = run("finetune", "-m", MODEL, "--stranded", "--train", self.path("oriented.csv"), "-o",
                        self.path("bad"), expect=2)
        self.assertIn("oriented.csv: --stranded reads the strand of BED intervals", err)
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--stranded", "--train", self.path("s.bed"),
                        "--fasta", LAMBDA, "--val-region", "NC_001416.1:40001-48502", "-o", self.path("bad"),
                        expect=2)
        self.assertIn("--task segment: --stranded does not apply", err)
        # Training data is read more than once: standard input is refused for it, whichever option.
        for option in ("--train", "--val", "--fasta"):
            args = {"--train": self.path("s.bed"), "--val": self.path("s.bed"), "--fasta": LAMBDA}
            args[option] = "-"
            _, _, err = run("finetune", "-m", MODEL, *[x for kv in args.items() for x in kv], "-o", self.path("bad"),
                            stdin=b"x", expect=2)
            self.assertIn(f"{option} -: labeled data and its reference are read from files", err)

    def test_test_set_scored_once_by_the_kept_head(self):
        rng = np.random.default_rng(8)
        train = self.write_csv("train.csv", self.gc_rows(rng, 160))
        val = self.write_csv("val.csv", self.gc_rows(rng, 40))
        test_rows = self.gc_rows(rng, 50)
        test = self.write_csv("test.csv", test_rows)
        out = self.path("tuned")
        _, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--test", test,
                        "--epochs", "4", "--lr", "0.02", "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))
        self.assertIn(f"dnassm finetune: test (50 examples of {test}): acc {metrics['test']['accuracy']:.4f}  MCC", err)
        self.assertEqual(load_json(os.path.join(out, "config.json"))["provenance"]["test_metrics"], metrics["test"])
        # The same numbers as the saved model's predictions on the test set.
        run("predict", "-m", out, "-o", self.path("p.tsv"), test)
        p = np.array([[float(x) for x in l.split("\t")[5:7]] for l in read_text(self.path("p.tsv")).splitlines()[1:]])
        y = np.array([y for _, y in test_rows])
        self.assertAlmostEqual(np.mean(p.argmax(1) == y), metrics["test"]["accuracy"], places=6)
        self.assertAlmostEqual(auroc(p[:, 1], y == 1), metrics["test"]["auroc"], places=5)
        # predict --metrics scores the saved model on the labeled table the same way.
        _, _, err = run("predict", "-m", out, "--metrics", self.path("m.json"), "-o", self.path("p2.tsv"), test)
        self.assertEqual(read_text(self.path("p2.tsv")), read_text(self.path("p.tsv")))
        again = load_json(self.path("m.json"))
        for k in ("n", "accuracy", "mcc", "f1"):
            self.assertAlmostEqual(again[k], metrics["test"][k], places=6, msg=k)
        self.assertAlmostEqual(again["auroc"], metrics["test"]["auroc"], places=5)
        self.assertIn(f"dnassm predict: 50 labeled rows of {test}: acc {again['accuracy']:.4f}", err)
        unlabeled = self.path("u.csv")
        with open(unlabeled, "w") as f:
            f.write("sequence\nACGTACGT\n")
        for args, code, msg in [([unlabeled], 1, "u.csv: row 1: no label (--metrics needs a 'label' column"),
                                ([LAMBDA], 2, "--metrics needs labels: a CSV with a 'label' column")]:
            _, _, err = run("predict", "-m", out, "--metrics", self.path("x.json"), "-o", self.path("x.tsv"), *args,
                            expect=code)
            self.assertIn(msg, err)
            self.assertFalse(os.path.exists(self.path("x.json")) or os.path.exists(self.path("x.tsv")))
        _, _, err = run("predict", "-m", MODEL, "--metrics", self.path("x.json"), "-o", self.path("x.tsv"), test,
                        expect=2)
        self.assertIn("--metrics scores a fine-tuned per-sequence model", err)
        bad = self.write_csv("bad.csv", [("ACGTACGT", 7)])
        _, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--test", bad,
                        "-o", self.path("x"), expect=1)
        self.assertIn("bad.csv: label '7' does not occur in the training data", err)

    def test_regression_head_on_a_numeric_target(self):
        # Target: GC content in percent (units far from 1), which the pooled embedding carries.
        rng = np.random.default_rng(9)
        def rows(n):
            out = []
            for _ in range(n):
                seq = random_dna(rng, 80, rng.uniform(0.2, 0.8))
                out.append((seq, round(100.0 * (seq.count("G") + seq.count("C")) / len(seq), 2)))
            return out
        train, val = self.write_csv("train.csv", rows(300)), self.write_csv("val.csv", rows(60))
        test_rows = rows(60)
        test = self.write_csv("test.csv", test_rows)
        out = self.path("reg")
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--freeze-backbone", "--train", train, "--val",
                        val, "--test", test, "--epochs", "30", "--lr", "0.05", "--patience", "30", "-o", out,
                        "--progress", "none")
        self.assertIn("Pearson r", err)
        metrics = load_json(os.path.join(out, "metrics.json"))
        self.assertGreater(metrics["val"]["pearson"], 0.8, metrics)
        self.assertEqual(sorted(metrics["test"]), ["loss", "mse", "n", "pearson", "r2", "spearman"])
        cfg = load_json(os.path.join(out, "config.json"))
        self.assertEqual((cfg["task_head"]["task"], cfg["task_head"]["classes"]), ("regress", ["value"]))
        _, info, _ = run("info", out)
        self.assertIn("task head:   regress, one value\npredicts:    a row per sequence (-o OUT.tsv): value\n", info)
        # Predictions are in the target's units (the training scale is folded into the saved head),
        # and the test metrics are those of the saved model's predictions.
        run("predict", "-m", out, "-o", self.path("p.tsv"), test)
        lines = read_text(self.path("p.tsv")).splitlines()
        self.assertEqual(lines[0], "id\tchrom\tstart\tend\tlength\tvalue")
        p = np.array([float(l.split("\t")[5]) for l in lines[1:]])
        y = np.array([t for _, t in test_rows])
        self.assertAlmostEqual(float(np.mean((p - y) ** 2)), metrics["test"]["mse"], delta=1e-3 * metrics["test"]["mse"])
        self.assertAlmostEqual(float(np.corrcoef(p, y)[0, 1]), metrics["test"]["pearson"], places=4)
        self.assertLess(abs(p.mean() - y.mean()), 5.0)  # percent, not standardised units
        run("predict", "-m", out, "--metrics", self.path("m.json"), "-o", self.path("p2.tsv"), test)
        self.assertAlmostEqual(load_json(self.path("m.json"))["pearson"], metrics["test"]["pearson"], places=4)

        # A BED's column 5 (the score) is the default target; no --val holds out 10 % at random.
        seq = lambda_seq()
        with open(self.path("r.bed"), "w") as f:
            for beg in range(0, 48000, 200):
                w = seq[beg:beg + 200]
                f.write(f"NC_001416.1\t{beg}\t{beg + 200}\tw{beg}\t{(w.count('G') + w.count('C')) / 2:.1f}\n")
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--freeze-backbone", "--train", self.path("r.bed"),
                        "--fasta", LAMBDA, "--epochs", "2", "-o", self.path("bed"), "--progress", "none")
        self.assertIn("validating on 24 examples of " + self.path("r.bed") + " (10 %, drawn with --seed 1)", err)
        # predict --metrics on the BED: its column 5 against the predicted values.
        _, table, _ = run("predict", "-m", self.path("bed"), "-R", self.path("r.bed"), "--metrics",
                          self.path("b.json"), "-o", "-", LAMBDA)
        p = np.array([float(l.split("\t")[5]) for l in table.splitlines()[1:]])
        y = np.loadtxt(self.path("r.bed"), usecols=4)
        got = load_json(self.path("b.json"))
        self.assertEqual(got["n"], len(y))
        self.assertAlmostEqual(got["mse"], float(np.mean((p - y) ** 2)), delta=1e-4 * got["mse"])
        self.assertAlmostEqual(got["pearson"], float(np.corrcoef(p, y)[0, 1]), places=4)

        bad = self.write_csv("bad.csv", [("ACGTACGT", "high"), ("ACGTAAAA", 1.5)])
        for args, code, msg in [(["--train", bad], 1, "bad.csv: row 1: label 'high' is not a number (--task regress)"),
                                (["--train", self.write_csv("flat.csv", [("ACGT", 2)] * 30), "--val", val], 1,
                                 "a regression needs targets that vary"),
                                (["--train", train, "--select", "auroc"], 2,
                                 "--select: one of pearson, spearman, loss for --task regress (not 'auroc')")]:
            _, _, err = run("finetune", "-m", MODEL, "--task", "regress", *args, "-o", self.path("x"), expect=code)
            self.assertIn(msg, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_genomic_benchmarks_folders(self):
        # A GenomicBenchmarks-style dataset on lambda: train/ and test/ with one interval list per class,
        # and the same sequences written out as loc2seq writes them (one .txt per sequence).
        import gzip
        seq = lambda_seq()
        rng = np.random.default_rng(10)
        for part in ("train", "test"):
            os.makedirs(self.path(f"gb/{part}"))
            rows = {"gc_high": [], "gc_low": []}
            for beg in range(0 if part == "train" else 100, 48000, 400):
                w = seq[beg:beg + 120]
                strand = "+-"[int(rng.integers(2))]
                rows["gc_high" if (w.count("G") + w.count("C")) / len(w) > 0.5 else "gc_low"].append((beg, strand))
            for label, items in rows.items():
                with gzip.open(self.path(f"gb/{part}/{label}.csv.gz"), "wt") as f:
                    f.write("id,region,start,end,strand\n")
                    for i, (beg, strand) in enumerate(items):
                        f.write(f"{i},NC_001416.1,{beg},{beg + 120},{strand}\n")
                os.makedirs(self.path(f"seqs/{part}/{label}"))
                for i, (beg, strand) in enumerate(items):
                    w = seq[beg:beg + 120]
                    with open(self.path(f"seqs/{part}/{label}/{i:04d}.txt"), "w") as f:
                        f.write(w if strand == "+" else revcomp(w))
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--epochs", "10", "--lr", "0.02", "--patience", "10",
                "--progress", "none"]
        run(*args, "--train", self.path("gb/train"), "--test", self.path("gb/test"), "--fasta", LAMBDA, "-o",
            self.path("lists"))
        metrics = load_json(self.path("lists/metrics.json"))
        self.assertEqual(metrics["test"]["n"], sum(1 for _ in range(100, 48000, 400)))
        self.assertGreater(metrics["test"]["auroc"], 0.8, metrics)
        self.assertEqual(load_json(self.path("lists/config.json"))["task_head"]["classes"], ["gc_high", "gc_low"])
        # The full-sequence folders hold the same sequences (the - strand reverse-complemented): the same head.
        run(*args, "--train", self.path("seqs/train"), "--test", self.path("seqs/test"), "-o", self.path("texts"))
        self.assertEqual(read_bytes(self.path("texts/head.safetensors")), read_bytes(self.path("lists/head.safetensors")))
        _, _, err = run(*args, "--train", self.path("gb/train"), "-o", self.path("x"), expect=2)
        self.assertIn("gc_high.csv.gz: an interval list needs --fasta REF.fa", err)
        # predict reads a folder as a table (interval lists from -T): the test metrics again, from the saved model.
        for folder, ref in (("gb/test", ["-T", LAMBDA]), ("seqs/test", [])):
            _, table, _ = run("predict", "-m", self.path("lists"), *ref, "--metrics", self.path("m.json"), "-o", "-",
                              self.path(folder))
            self.assertEqual(len(table.splitlines()), 1 + metrics["test"]["n"])
            self.assertEqual(table.splitlines()[0], "id\tchrom\tstart\tend\tlength\tp_gc_high\tp_gc_low\tclass")
            again = load_json(self.path("m.json"))
            for k in ("n", "accuracy", "mcc"):
                self.assertAlmostEqual(again[k], metrics["test"][k], places=6, msg=(folder, k))
            self.assertAlmostEqual(again["auroc"], metrics["test"]["auroc"], places=5, msg=folder)
        _, _, err = run("predict", "-m", self.path("lists"), "-o", "-", self.path("gb/test"), expect=2)
        self.assertIn("gc_high.csv.gz: an interval list needs -T/--reference REF.fa", err)

    def test_rc_augmentation(self):
        rng = np.random.default_rng(11)
        train = self.write_csv("train.csv", self.gc_rows(rng, 80))
        val = self.write_csv("val.csv", self.gc_rows(rng, 20))
        for frozen in ([], ["--freeze-backbone"]):
            args = ["finetune", "-m", MODEL, "--train", train, "--val", val, "--epochs", "2", "--batch", "8",
                    "--progress", "none", *frozen]
            tag = "f" if frozen else "b"
            run(*args, "-o", self.path(tag + "plain"))
            run(*args, "--rc-aug", "-o", self.path(tag + "aug"))
            run(*args, "--rc-aug", "-@", "2", "-o", self.path(tag + "aug2"))
            head = lambda d: read_bytes(self.path(d + "/head.safetensors"))
            self.assertNotEqual(head(tag + "aug"), head(tag + "plain"))  # some draws were reverse strands
            self.assertEqual(head(tag + "aug"), head(tag + "aug2"))  # and the draws depend on --seed only
            self.assertTrue(load_json(self.path(tag + "aug/config.json"))["provenance"]["rc_aug"])
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--rc-aug", "--train", self.path("x.bed"),
                        "--fasta", LAMBDA, "--val-region", "NC_001416.1", "-o", self.path("x"), expect=2)
        self.assertIn("dnassm finetune: --task segment: --rc-aug is what it always does", err)

    def test_balanced_class_weights(self):
        rng = np.random.default_rng(12)
        rows = [(random_dna(rng, 60, 0.3), 0) for _ in range(90)] + [(random_dna(rng, 60, 0.7), 1) for _ in range(30)]
        train = self.write_csv("train.csv", rows)
        val = self.write_csv("val.csv", self.gc_rows(rng, 20))
        args = ["finetune", "-m", MODEL, "--freeze-backbone", "--train", train, "--val", val, "--epochs", "3",
                "--progress", "none"]
        run(*args, "-o", self.path("plain"))
        _, _, err = run(*args, "--class-weight", "balanced", "-o", self.path("balanced"))
        self.assertIn("class weights (balanced): 0 0.6667, 1 2\n", err)  # 120 / (2 x 90), 120 / (2 x 30)
        self.assertNotEqual(read_bytes(self.path("balanced/head.safetensors")),
                            read_bytes(self.path("plain/head.safetensors")))
        self.assertEqual(load_json(self.path("balanced/config.json"))["provenance"]["class_weight"], "balanced")
        _, _, err = run(*args, "--class-weight", "inverse", "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight: 'inverse' is not one of none, balanced", err)
        _, _, err = run("finetune", "-m", MODEL, "--task", "regress", "--class-weight", "balanced", "--train", train,
                        "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight applies to classes", err)

    def test_track_head_on_per_base_values(self):
        # Target: the GC percentage of the 30 bases up to each base (a causal model can read it), as a
        # bedGraph with a gap; windows from the first 30 kb, validation on the rest.
        rng = np.random.default_rng(13)
        seq = "".join(random_dna(rng, 500, rng.uniform(0.2, 0.8)) for _ in range(80))
        with open(self.path("g.fa"), "w") as f:
            f.write(">chrT\n" + seq + "\n")
        gc = np.array([c in "GC" for c in seq], float)
        csum = np.concatenate([[0], np.cumsum(gc)])
        target = np.array([100 * (csum[i + 1] - csum[max(0, i - 29)]) / (i + 1 - max(0, i - 29)) for i in range(len(seq))])
        with open(self.path("t.bedgraph"), "w") as f:
            for i, v in enumerate(target):
                if not 10000 <= i < 11000:  # a stretch without values
                    f.write(f"chrT\t{i}\t{i + 1}\t{v:.3f}\n")
        out = self.path("trk")
        args = ["finetune", "-m", MODEL, "--task", "track", "--freeze-backbone", "--fasta", self.path("g.fa"),
                "--train-region", "chrT:1-30000", "--val-region", f"chrT:30001-{len(seq)}", "--steps", "120",
                "--batch", "4", "--window", "1024", "--lr", "0.01", "--progress", "none"]
        _, _, err = run(*args, "--train", self.path("t.bedgraph"), "-o", out)
        # The same values as a bigWig (read region by region through its index): the same head.
        with pyBigWig.open(self.path("t.bw"), "w") as bw:
            bw.addHeader([("chrT", len(seq))])
            keep = [i for i in range(len(seq)) if not 10000 <= i < 11000]
            bw.addEntries(["chrT"] * len(keep), keep, ends=[i + 1 for i in keep],
                          values=[float(f"{target[i]:.3f}") for i in keep])
        run(*args, "--train", self.path("t.bw"), "-o", self.path("trk_bw"))
        self.assertEqual(read_bytes(self.path("trk_bw/head.safetensors")), read_bytes(os.path.join(out, "head.safetensors")))
        self.assertIn("Pearson r", err)
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["pearson"], 0.6, metrics)
        self.assertEqual(metrics["n"], len(seq) - 30000)
        _, info, _ = run("info", out)
        self.assertIn("task head:   track, one value per base\n", info)
        self.assertIn("predicts:    value, loglik, entropy, prob", info)
        # The default track of the tuned model is its value, in the target's units.
        run("predict", "-m", out, "-r", f"chrT:30001-{len(seq)}", "-o", self.path("v.bw"), self.path("g.fa"))
        with pyBigWig.open(self.path("v.bw")) as bw:
            v = np.array(bw.values("chrT", 30000, len(seq)))
        self.assertAlmostEqual(float(np.corrcoef(v, target[30000:])[0, 1]), metrics["pearson"], places=4)
        self.assertLess(abs(v.mean() - target[30000:].mean()), 10)
        _, _, err = run("predict", "-m", out, "-r", "chrT:30001-31000", "-o", self.path("c.bed"), self.path("g.fa"),
                        expect=2)
        self.assertIn("--threshold", err)  # a value track has no default threshold
        _, _, err = run("finetune", "-m", MODEL, "--task", "track", "--train", self.path("t.bedgraph"), "--fasta",
                        self.path("g.fa"), "--val-region", "chrT:30001-40000", "--class-weight", "balanced",
                        "-o", self.path("x"), expect=2)
        self.assertIn("--class-weight applies to classes", err)

    def write_gene_genome(self):
        """Genes of a 5' UTR, coding exons and introns, each part its own GC content, between intergenic
        stretches, as g.fa; their annotation as NCBI writes it (gene > mRNA > exon/CDS) as genes.gff3, and
        the same genes as a BED12 (blocks = exons, thickStart/thickEnd = the coding part) as genes.bed.
        Returns the sequence and each base's true part."""
        rng = np.random.default_rng(5)
        gc = {"intergenic": 0.5, "utr": 0.65, "cds": 0.85, "intron": 0.15}
        parts, lines, bed, truth, pos, n = [], ["##gff-version 3"], [], [], 0, 0
        def add(kind, length):
            nonlocal pos
            parts.append(random_dna(rng, length, gc[kind]))
            truth.extend([kind] * length)
            pos += length
        while pos < 40000:
            add("intergenic", int(rng.integers(200, 500)))
            n += 1
            beg = pos
            exons = []
            add("utr", 60)
            for k in range(int(rng.integers(2, 4))):
                if k:
                    add("intron", int(rng.integers(100, 250)))
                e0 = pos
                add("cds", int(rng.integers(80, 200)))
                exons.append((e0, pos))
            exons[0] = (beg, exons[0][1])
            lines.append(f"chrG\t.\tgene\t{beg + 1}\t{pos}\t.\t+\t.\tID=gene{n};Name=g{n}")
            lines.append(f"chrG\t.\tmRNA\t{beg + 1}\t{pos}\t.\t+\t.\tID=rna{n};Parent=gene{n}")
            for b, e in exons:
                lines.append(f"chrG\t.\texon\t{b + 1}\t{e}\t.\t+\t.\tParent=rna{n}")
                lines.append(f"chrG\t.\tCDS\t{max(b, beg + 60) + 1}\t{e}\t.\t+\t0\tID=cds{n};Parent=rna{n}")
            bed.append(f"chrG\t{beg}\t{pos}\tg{n}\t0\t+\t{beg + 60}\t{pos}\t0\t{len(exons)}\t"
                       + ",".join(str(e - b) for b, e in exons) + ",\t"
                       + ",".join(str(b - beg) for b, _ in exons) + ",")
        seq = "".join(parts)
        with open(self.path("g.fa"), "w") as f:
            f.write(">chrG\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
        # A gene on a contig the FASTA lacks (a genome-wide annotation) is left out with a note.
        lines.append("chrOther\t.\tgene\t1\t100\t.\t+\t.\tID=elsewhere")
        with open(self.path("genes.gff3"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.path("genes.bed"), "w") as f:
            f.write("\n".join(bed) + "\n")
        return seq, truth

    def test_segment_on_a_bed12_with_gene_structure_labels_as_the_gff3_does(self):
        # The same genes as GFF3 and as BED12 --gene-structure label every base alike, so the same
        # seed trains the same head, bit for bit.
        seq, _ = self.write_gene_genome()
        heads = []
        for name, extra in (("genes.gff3", []), ("genes.bed", ["--gene-structure"])):
            out = self.path(name + ".tuned")
            run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path(name), *extra, "--fasta",
                self.path("g.fa"), "--train-region", "chrG:1-30000", "--val-region", f"chrG:30001-{len(seq)}",
                "--steps", "4", "--eval-every", "2", "--window", "256", "--batch", "2", "-o", out,
                "--progress", "none")
            self.assertEqual(load_json(os.path.join(out, "config.json"))["task_head"]["classes"],
                             ["intergenic", "intron", "noncoding_exon", "cds"])
            with open(os.path.join(out, "head.safetensors"), "rb") as f:
                heads.append(f.read())
        self.assertEqual(heads[0], heads[1])
        prov = load_json(os.path.join(self.path("genes.bed.tuned"), "config.json"))["provenance"]
        self.assertTrue(prov["gene_structure"])
        # Without the flag a BED's lines are intervals (class 1 inside); the flag is segment's only.
        run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("genes.bed"), "--fasta",
            self.path("g.fa"), "--val-region", f"chrG:30001-{len(seq)}", "--steps", "2", "--window", "256",
            "--batch", "2", "-o", self.path("plain"), "--progress", "none")
        self.assertEqual(load_json(os.path.join(self.path("plain"), "config.json"))["task_head"]["classes"],
                         ["0", "1"])
        _, _, err = run("finetune", "-m", MODEL, "--task", "classify", "--train", self.path("genes.bed"),
                        "--gene-structure", "--fasta", self.path("g.fa"), "-o", self.path("x"), expect=2)
        self.assertIn("--gene-structure labels the bases of --task segment", err)

    def test_segment_on_a_gff3_learns_gene_structure(self):
        seq, truth = self.write_gene_genome()
        out = self.path("genes")
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("genes.gff3"),
                        "--fasta", self.path("g.fa"), "--train-region", "chrG:1-30000", "--val-region",
                        f"chrG:30001-{len(seq)}", "--steps", "60", "--eval-every", "30", "--window", "512",
                        "--batch", "4", "--lr", "3e-3", "--warmup", "5", "-o", out, "--progress", "none")
        self.assertIn("genes.gff3: 1 gene(s) on contigs", err)
        classes = load_json(os.path.join(out, "config.json"))["task_head"]["classes"]
        self.assertEqual(classes, ["intergenic", "intron", "noncoding_exon", "cds"])
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.85, metrics)
        # Its default track is the coding probability, which ranks coding bases first.
        run("predict", "-m", out, "-r", f"chrG:30001-{len(seq)}", "-o", self.path("cds.bw"), self.path("g.fa"))
        with pyBigWig.open(self.path("cds.bw")) as bw:
            p = np.array(bw.values("chrG", 30000, len(seq)))
        coding = auroc(p, np.array(truth[30000:]) == "cds")
        self.assertGreater(coding, 0.9, coding)
        # --label-column is a BED's; a GFF's classes are its gene structure.
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("genes.gff3"),
                        "--fasta", self.path("g.fa"), "--val-region", "chrG:30001-40000", "--label-column", "4",
                        "-o", self.path("x"), expect=2)
        self.assertIn("--label-column reads a BED's column", err)
        # Gene lines alone say nothing of structure.
        with open(self.path("bare.gff3"), "w") as f:
            f.write("##gff-version 3\nchrG\t.\tgene\t101\t900\t.\t+\t.\tID=g1\n")
        _, _, err = run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("bare.gff3"),
                        "--fasta", self.path("g.fa"), "--val-region", "chrG:30001-40000", "-o", self.path("y"),
                        expect=1)
        self.assertIn("bare.gff3: no exon or CDS inside the training and validation regions", err)
        self.assertFalse(os.path.exists(self.path("y")))

    def test_segment_per_base_head_and_probability_track(self):
        rng = np.random.default_rng(3)
        parts, islands, pos = [], [], 0
        while pos < 40000:
            bg = int(rng.integers(200, 600))
            parts.append(random_dna(rng, bg, 0.3))
            pos += bg
            isl = int(rng.integers(100, 300))
            parts.append(random_dna(rng, isl, 0.8))
            islands.append((pos, pos + isl))
            pos += isl
        seq = "".join(parts)
        with open(self.path("g.fa"), "w") as f:
            f.write(">chrS\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
        with open(self.path("islands.bed"), "w") as f:
            for b, e in islands:
                f.write(f"chrS\t{b}\t{e}\tisland\n")
        out = self.path("seg")
        run("finetune", "-m", MODEL, "--task", "segment", "--train", self.path("islands.bed"), "--fasta",
            self.path("g.fa"), "--train-region", "chrS:1-30000", "--val-region", f"chrS:30001-{len(seq)}",
            "--steps", "40", "--eval-every", "20", "--window", "512", "--batch", "4", "--lr", "3e-3",
            "--warmup", "5", "-o", out, "--progress", "none")
        metrics = load_json(os.path.join(out, "metrics.json"))["val"]
        self.assertGreater(metrics["auroc"], 0.9, metrics)
        self.assertEqual(load_json(os.path.join(out, "config.json"))["task_head"]["classes"], ["0", "1"])
        _, info, _ = run("info", out)
        self.assertIn("task head:   segment, 2 classes\n", info)
        self.assertIn("predicts:    p_0, p_1, loglik, entropy, prob (--track;", info)
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "-o", self.path("p1.bw"), self.path("g.fa"))
        with pyBigWig.open(self.path("p1.bw")) as bw:
            p = np.array(bw.values("chrS", 30000, len(seq)))
        self.assertTrue(np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all())
        truth = np.zeros(len(seq), bool)
        for b, e in islands:
            truth[b:e] = True
        self.assertAlmostEqual(auroc(p, truth[30000:]), metrics["auroc"], places=3)
        # BED calls of the same track recover the held-out islands.
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "--merge-gap", "20", "--min-length", "50",
            "-o", self.path("calls.bed"), self.path("g.fa"))
        lines = track_lines(self.path("calls.bed"))
        self.assertEqual(lines, expected_calls("chrS", 30000, p, 0.5, merge_gap=20, min_length=50, name="p_1",
                                               probability=True))
        run("call", "--threshold", "0.5", "--probability", "--name", "p_1", "--merge-gap", "20", "--min-length", "50",
            "-o", self.path("recalled.bed"), self.path("p1.bw"))
        self.assertEqual(track_lines(self.path("recalled.bed")), lines)
        called = np.zeros(len(seq), bool)
        for line in lines:
            f = line.split("\t")
            called[int(f[1]):int(f[2])] = True
            self.assertGreaterEqual(int(f[4]), 500)
        held_out = truth[30000:]
        recall = (called[30000:] & held_out).sum() / held_out.sum()
        precision = (called[30000:] & held_out).sum() / called[30000:].sum()
        self.assertGreater(recall, 0.8, (recall, precision))
        self.assertGreater(precision, 0.8, (recall, precision))
        code, _, err = run("predict", "-m", out, "--track", "p_7", "-o", self.path("x.bw"), self.path("g.fa"),
                           expect=2)
        self.assertIn("p_0, p_1", err)
        # Every class's track (and the LM's) from one pass, a file each.
        run("predict", "-m", out, "-r", f"chrS:30001-{len(seq)}", "--track", "all", "-o", self.path("all.{track}.bw"),
            self.path("g.fa"))
        with pyBigWig.open(self.path("all.p_1.bw")) as bw:
            np.testing.assert_array_equal(np.array(bw.values("chrS", 30000, len(seq))), p)
        with pyBigWig.open(self.path("all.p_0.bw")) as bw:
            np.testing.assert_allclose(np.array(bw.values("chrS", 30000, len(seq))), 1 - p, atol=1e-6)
        self.assertTrue(os.path.exists(self.path("all.loglik.bw")) and os.path.exists(self.path("all.entropy.bw")))

    def test_bad_inputs(self):
        rng = np.random.default_rng(4)
        train = self.write_csv("train.csv", self.gc_rows(rng, 20))
        val = self.write_csv("val.csv", [("ACGTACGT", 0), ("ACGTAAAA", 5)])
        code, _, err = run("finetune", "-m", MODEL, "--train", train, "--val", val, "-o", self.path("o"), expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("val.csv: label '5' does not occur in the training data", err)
        with open(self.path("bad.csv"), "w") as f:
            f.write("seq,y\nACGT,1\n")
        code, _, err = run("finetune", "-m", MODEL, "--train", self.path("bad.csv"), "-o", self.path("o"), expect=1)
        self.assertIn("bad.csv: line 1: expected a header with 'sequence' and 'label'", err)
        with open(self.path("r.bed"), "w") as f:
            f.write("NC_001416.1\t0\t100\tx\t1\n")
        code, _, err = run("finetune", "-m", MODEL, "--train", self.path("r.bed"), "-o", self.path("o"), expect=2)
        self.assertIn("needs --fasta", err)
        code, _, err = run("finetune", "-m", MODEL, "--task", "cluster", "--train", train, "-o", self.path("o"),
                           expect=2)
        self.assertIn("--task", err)
        code, _, err = run("finetune", "-m", MODEL, "--freeze-backbone", "--recompute", "--train", train, "-o",
                           self.path("o"), expect=2)
        self.assertIn("--recompute has nothing to recompute with --freeze-backbone", err)
        caduceus = os.path.join(ROOT, "tests", "data", "golden", "caduceus_ph_L1024_B1")
        for bad in ("1.5", "-0.1"):
            code, _, err = run("pretrain", "-m", caduceus, "--fasta", LAMBDA, "--mask-prob=" + bad, "-o",
                               self.path("o"), expect=2)
            self.assertIn("--mask-prob must be in (0, 1)", err)
            self.assertFalse(os.path.exists(self.path("o/config.json")))
        code, _, err = run("pretrain", "-m", MODEL, "--fasta", LAMBDA, "--mask-prob", "0.2", "-o", self.path("o"),
                           expect=2)
        self.assertIn("--mask-prob applies to masked LMs (Caduceus)", err)
