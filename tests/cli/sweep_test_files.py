#!/usr/bin/python3
"""Runs every file of HTSlib's, samtools' and pysam's test data (Debian's htslib-test, samtools-test and
python-pysam-tests: malformed and edge-case SAM/BAM/CRAM/FASTA/FASTQ/VCF/BCF/BED/GFF) through dnassm and checks the
bad-input contract: each run exits 0, 1 or 2; a failure is one line on stderr (notes and per-record 'skipped' lines
aside) and leaves no output file. Not part of ctest (the packages are not installed by default):

    apt-get install htslib-test samtools-test python-pysam-tests
    /usr/bin/python3 tests/cli/sweep_test_files.py build/release/app/dnassm [DIR ...]

Prints each failure's message (to read whether it says what is wrong) and exits 1 when the contract is broken.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
LAMBDA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
DIRS = ["/usr/share/htslib-test/test", "/usr/share/samtools/test", "/usr/share/doc/samtools-test",
        "/usr/share/doc/python-pysam/tests"]
SEQUENCES = (".sam", ".bam", ".cram", ".fa", ".fasta", ".fq", ".fastq", ".fa.gz", ".fq.gz", ".sam.gz")


def commands(path, out):
    low = path.lower()
    yield ["info", path]
    if low.endswith(SEQUENCES):
        yield ["embed", "-m", MODEL, "--pool", "mean", "-o", out + "/e.tsv", path]
        yield ["predict", "-m", MODEL, "-o", out + "/p.bedgraph", path]
    if low.endswith((".vcf", ".vcf.gz", ".bcf")):
        yield ["score", "-m", MODEL, "--score-window", "128", "--vcf", path, "-o", out + "/s.tsv", LAMBDA]
    if low.endswith((".bed", ".bed.gz")):
        yield ["embed", "-m", MODEL, "--pool", "mean", "-R", path, "-o", out + "/e.tsv", LAMBDA]
        yield ["call", "--threshold", "0", "-o", out + "/c.bed", path]
    if low.endswith((".gff", ".gff3", ".gtf", ".gff.gz", ".gff3.gz", ".gtf.gz")):
        yield ["embed", "-m", MODEL, "--pool", "mean", "-R", path, "-o", out + "/e.tsv", LAMBDA]
        yield ["finetune", "-m", MODEL, "--task", "segment", "--train", path, "--fasta", LAMBDA,
               "--val-region", "NC_001416.1:40001-48502", "--steps", "1", "-o", out + "/seg"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    exe = os.path.abspath(sys.argv[1])
    dirs = [d for d in (sys.argv[2:] or DIRS) if os.path.isdir(d)]
    if not dirs:
        print("skipped: none of " + ", ".join(DIRS) + " is installed")
        return 0
    files = sorted(os.path.join(d, f) for top in dirs for d, _, fs in os.walk(top) for f in fs)
    out = tempfile.mkdtemp(prefix="dnassm_sweep_")
    broken, runs, failed = [], 0, 0
    for path in files:
        for args in commands(path, out):
            runs += 1
            try:
                p = subprocess.run([exe, *args], capture_output=True, text=True, errors="replace", timeout=300)
            except subprocess.TimeoutExpired:
                broken.append((args, "timed out"))
                continue
            left = os.listdir(out)
            for name in left:  # finetune's output is a folder
                shutil.rmtree(os.path.join(out, name)) if os.path.isdir(os.path.join(out, name)) else \
                    os.remove(os.path.join(out, name))
            if p.returncode == 0:
                continue
            failed += 1
            lines = [l for l in p.stderr.splitlines()
                     if l.strip() and ": note: " not in l and ": skipped " not in l and "alleles scored" not in l
                     and "further skipped records" not in l]
            if p.returncode not in (1, 2):
                broken.append((args, f"exit {p.returncode}: " + " | ".join(lines[-3:])))
            elif len(lines) != 1:
                broken.append((args, f"{len(lines)} lines: " + " | ".join(lines[:3])))
            elif left:
                broken.append((args, "left " + ", ".join(left)))
            else:
                print(f"{args[0]}: {lines[0]}")
    print(f"{runs} runs on {len(files)} files: {runs - failed} succeeded, {failed} refused, {len(broken)} broke the "
          "contract")
    for args, why in broken:
        print("BROKEN: dnassm " + " ".join(args) + "\n    " + why)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
