#!/usr/bin/python3
"""Nextflow cannot be installed here, so the modules are kept consistent with the CLI instead:
every flag that pipelines/nextflow (modules and nextflow.config ext.args) and the Snakemake
workflow pass to `dnassm <cmd>` must appear in `dnassm <cmd> --help`.
Run by ctest as `nextflow_flags_test.py DNASSM_BINARY`."""
import glob
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DNASSM = None


def help_flags(cmd):
    out = subprocess.run([DNASSM, cmd, "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(?<![\w-])(-[-\w@]+)", out))


def invocations(text):
    """(command, [flags]) for every `dnassm <cmd> ...` in a script (line continuations joined)."""
    text = text.replace("\\\\\n", " ").replace("\\\n", " ")
    text = re.sub(r'"\s*\n\s*"', "", text)  # Python/Snakemake implicit string concatenation
    out = []
    for m in re.finditer(r"(?:\bdnassm\}?|\{DNASSM\})\s+(embed|predict|merge|call|score|finetune|convert)\b([^\n]*)", text):
        out.append((m.group(1), re.findall(r"(?<![\w-])(--?[A-Za-z@][\w-]*)", m.group(2))))
    return out


class ModuleFlags(unittest.TestCase):
    def test_every_flag_exists(self):
        sources = glob.glob(os.path.join(ROOT, "pipelines", "nextflow", "**", "*.nf"), recursive=True)
        sources.append(os.path.join(ROOT, "pipelines", "snakemake", "Snakefile"))
        sources.append(os.path.join(ROOT, "pipelines", "snakemake", "wrapper", "wrapper.py"))
        checked = 0
        for path in sources:
            with open(path) as f:
                for cmd, flags in invocations(f.read()):
                    known = help_flags(cmd)
                    for flag in flags:
                        self.assertIn(flag, known, f"{os.path.relpath(path, ROOT)}: dnassm {cmd} {flag}")
                        checked += 1
        # ext.args in nextflow.config, per process
        with open(os.path.join(ROOT, "pipelines", "nextflow", "nextflow.config")) as f:
            cfg = f.read()
        for proc, args in re.findall(r"withName:\s*'DNASSM_(\w+)'\s*\{[^}]*?ext\.args\s*=\s*'([^']*)'", cfg):
            known = help_flags(proc.lower())
            for flag in re.findall(r"(?<![\w-])(--?[A-Za-z@][\w-]*)", args):
                self.assertIn(flag, known, f"nextflow.config DNASSM_{proc}: {flag}")
                checked += 1
        self.assertGreater(checked, 20, "the checker found too few flags; is the parsing broken?")


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
