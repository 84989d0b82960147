# Helpers of the dnassm workflow: contig lengths from the .fai, chunk regions, window BEDs.


def read_fai(fasta):
    with open(f"{fasta}.fai") as f:
        return [(l.split("\t")[0], int(l.split("\t")[1])) for l in f if l.strip()]


def chunk_spans(sample):
    """(contig, 0-based begin, end) of each chunk, in .fai order."""
    size = int(config.get("chunk_size", 1000000))
    return [(name, beg, min(length, beg + size))
            for name, length in read_fai(config["samples"][sample])
            for beg in range(0, length, size)]


def chunks_of(sample):
    """1-based inclusive samtools regions ({name} braces keep odd contig names intact)."""
    return [f"{{{name}}}:{beg + 1}-{end}" for name, beg, end in chunk_spans(sample)]


def previous_state(wildcards):
    """context: state — the stream state the contig's previous chunk saved (none for its first)."""
    i = int(wildcards.chunk)
    spans = chunk_spans(wildcards.sample)
    if i == 0 or spans[i - 1][0] != spans[i][0]:
        return []
    return [f"chunks/{wildcards.sample}/{i - 1:05d}.state"]


def chunk_files(wildcards):
    n = len(chunks_of(wildcards.sample))
    return [f"chunks/{wildcards.sample}/{wildcards.track}/{i:05d}.bw" for i in range(n)]


def merge_mem_mb(wildcards):
    """What merging a sample's chunks into one bigWig needs: libBigWig's writer keeps ~2.7 bytes per
    value written and ~12 per base of the largest contig (pipelines/README.md), ~12 GB for a human
    genome's per-base track; a --bin-size in predict_args divides the values by the bin."""
    import re

    lengths = [length for _, length in read_fai(config["samples"][wildcards.sample])]
    found = re.search(r"--bin-size[= ]+(\d+)", str(config.get("predict_args", "")))
    bin_size = max(1, int(found.group(1))) if found else 1
    need = 2.7 * sum(lengths) / bin_size + 12.0 * max(lengths, default=0)
    return max(1000, int(need / 1e6) + 500)
