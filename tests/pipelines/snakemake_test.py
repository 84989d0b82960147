#!/usr/bin/python3
"""The Snakemake workflow (pipelines/snakemake) end to end with Debian's snakemake: scatter into
chunks, gather with `dnassm merge`, compare with one whole-genome `dnassm predict` at every base;
lint, rerun, failed-chunk behaviour. Run by ctest as `snakemake_test.py DNASSM_BINARY`."""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pyBigWig

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SNAKEFILE = os.path.join(ROOT, "pipelines", "snakemake", "Snakefile")
MODEL = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
ECOLI = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz"))
DNASSM = None


def lambda_seq():
    with gzip.open(LAMBDA, "rt") as f:
        return "".join(l.strip() for l in f if not l.startswith(">"))


def write_fasta(path, records):
    with open(path, "w") as f:
        for name, seq in records:
            f.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
    subprocess.run(["samtools", "faidx", path], check=True)


class SnakemakeWorkflow(unittest.TestCase):
    def setUp(self):
        if not shutil.which("snakemake"):
            self.skipTest("snakemake not installed (./setup.sh installs it)")
        self.tmp = tempfile.mkdtemp(prefix="dnassm_smk_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def snakemake(self, config, *extra, expect_ok=True):
        cfg = os.path.join(self.tmp, "config.yaml")
        with open(cfg, "w") as f:
            for k, v in config.items():
                if isinstance(v, dict):
                    f.write(f"{k}:\n" + "".join(f"  {a}: {b}\n" for a, b in v.items()))
                elif isinstance(v, list):
                    f.write(f"{k}: [{', '.join(v)}]\n")
                else:
                    f.write(f"{k}: {v}\n")
        p = subprocess.run(["snakemake", "-s", SNAKEFILE, "--directory", self.tmp, "--configfile", cfg, *extra],
                           capture_output=True, text=True, timeout=1800)
        if expect_ok and p.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(extra)} failed:\n{p.stdout}\n{p.stderr}")
        return p

    def assert_equals_one_run(self, gathered, fasta, track, tolerance):
        """The gathered bigWig equals one whole-genome `dnassm predict` at every base."""
        whole = gathered + ".whole.bw"
        subprocess.run([DNASSM, "predict", "-m", MODEL, "--track", track, "-@", "2", "--progress", "none", "-o", whole,
                        fasta], check=True, capture_output=True)
        with pyBigWig.open(gathered) as a, pyBigWig.open(whole) as b:
            self.assertEqual(a.chroms(), b.chroms(), gathered)
            for chrom, length in b.chroms().items():
                x = np.array(a.values(chrom, 0, length))
                y = np.array(b.values(chrom, 0, length))
                np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
                ok = ~np.isnan(y)
                self.assertLessEqual(float(np.abs(x[ok] - y[ok]).max()), tolerance, f"{gathered} {chrom}")

    def test_scatter_gather_equals_one_run_lint_rerun(self):
        seq = lambda_seq()
        multi = os.path.join(self.tmp, "multi.fa")
        write_fasta(multi, [("chrA", seq[:20000]), ("chr B|odd", seq[20000:27000]), ("chrC", seq[30000:33000])])
        samples = {"lambda": LAMBDA, "multi": multi}
        chunk = 12000
        if os.path.exists(ECOLI):
            samples["ecoli"] = ECOLI
            chunk = 1200000  # E. coli K-12 in 4 chunks
        else:
            print("note: ../shared/data E. coli K-12 absent; scattering lambda into 12 kb chunks instead",
                  file=sys.stderr)
        config = {"dnassm": DNASSM, "model": MODEL, "samples": samples, "tracks": ["loglik"],
                  "chunk_size": chunk, "context": "all", "embed_window": 5000, "threads": 1,
                  "embed_samples": ["lambda", "multi"],
                  "calls": {"loglik": '"--threshold -1.6 --below --merge-gap 3 --min-length 5"'}}
        self.snakemake(config, "-j", "2")
        for name, fasta in samples.items():
            merged = os.path.join(self.tmp, "results", f"{name}.loglik.bw")
            self.assert_equals_one_run(merged, fasta, "loglik", 1e-6)
            if name != "ecoli":
                self.assertTrue(os.path.exists(os.path.join(self.tmp, "results", f"{name}.embeddings.h5")))
            # BED calls of the gathered track, as `dnassm call` makes them.
            calls = os.path.join(self.tmp, "results", f"{name}.loglik.calls.bed")
            direct = subprocess.run([DNASSM, "call", "--threshold", "-1.6", "--below", "--merge-gap", "3",
                                     "--min-length", "5", "--name", "loglik", "-o", "-", merged],
                                    check=True, capture_output=True, text=True).stdout
            data = lambda text: [l for l in text.splitlines() if not l.startswith("#")]  # after the provenance
            with open(calls) as f:
                self.assertEqual(data(f.read()), data(direct), name)
            self.assertGreater(len(data(direct)), 10, name)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "chunks", "lambda", "loglik", "00000.bw")),
                         "chunk files are temporary")
        lint = self.snakemake(config, "--lint")
        self.assertIn("Congratulations, your workflow is in a good condition!", lint.stdout + lint.stderr)
        again = self.snakemake(config, "-n", "-j", "2")
        self.assertIn("Nothing to be done", again.stdout + again.stderr)

    def test_chunks_chained_by_stream_state_equal_one_run_and_sharded_scores(self):
        # context: state — a contig's chunks run in turn, each from the state the previous one saved.
        seq = lambda_seq()
        multi = os.path.join(self.tmp, "multi.fa")
        write_fasta(multi, [("chrA", seq[:26000]), ("chr B|odd", seq[26000:33000])])
        samples = {"lambda": LAMBDA, "multi": multi}
        # Variant scores of lambda in 3 shards, gathered: the unsharded table.
        vcf = os.path.join(self.tmp, "v.vcf")
        other = {"A": "G", "C": "T", "G": "A", "T": "C"}
        with open(vcf, "w") as f:
            f.write("##fileformat=VCFv4.2\n##contig=<ID=NC_001416.1,length=48502>\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
            for p in range(500, 48000, 4000):
                f.write(f"NC_001416.1\t{p}\t.\t{seq[p - 1]}\t{other[seq[p - 1]]}\t.\tPASS\t.\n")
        config = {"dnassm": DNASSM, "model": MODEL, "samples": samples, "tracks": ["loglik", "entropy"],
                  "chunk_size": 10000, "context": "state", "embed_window": 0, "threads": 1,
                  "variants": {"lambda": vcf}, "score_shards": 3, "score_args": '"--score-window 200"'}
        self.snakemake(config, "-j", "2")
        whole_scores = subprocess.run([DNASSM, "score", "-m", MODEL, "--vcf", vcf, "--score-window", "200", "-o", "-",
                                       LAMBDA], check=True, capture_output=True, text=True).stdout
        with open(os.path.join(self.tmp, "results", "lambda.scores.tsv")) as f:
            gathered = f.read()
        self.assertEqual(len(gathered.splitlines()), 13)
        self.assertEqual(gathered, whole_scores)
        for name, fasta in samples.items():
            for track in ("loglik", "entropy"):
                self.assert_equals_one_run(os.path.join(self.tmp, "results", f"{name}.{track}.bw"), fasta, track, 1e-5)
        left = [f for _, _, files in os.walk(os.path.join(self.tmp, "chunks")) for f in files]
        self.assertEqual(left, [], "chunk tracks and states are temporary")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "scores")), "score shards are temporary")
        with open(os.path.join(self.tmp, "logs", "lambda", "00004.predict.log")) as f:
            self.assertEqual(f.read(), "")
        lint = self.snakemake(config, "--lint")
        self.assertIn("Congratulations, your workflow is in a good condition!", lint.stdout + lint.stderr)

    def test_merge_asks_for_the_memory_of_a_genome_sized_bigwig(self):
        """A dry run reads only the .fai: a human-sized one makes the merge ask for libBigWig's ~12 GB."""
        fasta = os.path.join(self.tmp, "human.fa")
        open(fasta, "w").close()
        contigs = [("chr1", 248956422)] + [(f"chr{i}", 2_860_000_000 // 22) for i in range(2, 24)]
        with open(fasta + ".fai", "w") as f:
            f.writelines(f"{name}\t{length}\t0\t60\t61\n" for name, length in contigs)
        total = sum(length for _, length in contigs)

        def merge_mem_mb(predict_args):
            config = {"dnassm": DNASSM, "model": MODEL, "samples": {"human": fasta}, "tracks": ["loglik"],
                      "embed_window": 0, "predict_args": predict_args}
            out = self.snakemake(config, "-n", "--until", "merge_track").stdout
            block = out[out.index("rule merge_track:"):]
            return int(block[block.index("mem_mb=") + len("mem_mb="):].split(",")[0].split()[0])

        self.assertEqual(merge_mem_mb('""'), int((2.7 * total + 12.0 * 248956422) / 1e6) + 500)
        self.assertEqual(merge_mem_mb('"--bin-size 100"'), int((2.7 * total / 100 + 12.0 * 248956422) / 1e6) + 500)

    def test_failed_chunk_leaves_no_gathered_output(self):
        seq = lambda_seq()
        bad = os.path.join(self.tmp, "bad.fa")
        write_fasta(bad, [("ok", seq[:5000]), ("broken", seq[:100] + "!" + seq[101:3000])])
        config = {"dnassm": DNASSM, "model": MODEL, "samples": {"bad": bad}, "tracks": ["loglik"],
                  "chunk_size": 100000, "context": 1000, "embed_window": 0, "threads": 1}
        p = self.snakemake(config, "-j", "2", "--keep-going", expect_ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results", "bad.loglik.bw")))
        with open(os.path.join(self.tmp, "logs", "bad", "00001.predict.log")) as f:
            self.assertIn("broken", f.read())


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
