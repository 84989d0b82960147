"""Snakemake wrapper for `dnassm predict` (snakemake-wrappers layout)."""
__author__ = "dnassm"
__license__ = "MIT"

from snakemake.shell import shell

log = snakemake.log_fmt_shell(stdout=False, stderr=True)
region = snakemake.params.get("region", "")
region_arg = f"-r '{region}'" if region else ""
extra = snakemake.params.get("extra", "")
track = snakemake.params.get("track", "loglik")
shell(
    "dnassm predict -m {snakemake.input.model} --track {track} {region_arg} "
    "-@ {snakemake.threads} --progress none {extra} "
    "-o {snakemake.output[0]} {snakemake.input.fasta} {log}"
)
