# Helpers of the dnassm workflow: contig lengths from the .fai, chunk regions, window BEDs.


def read_fai(fasta):
    with open(f"{fasta}.fai") as f:
        return [(l.split("\t")[0], int(l.split("\t")[1])) for l in f if l.strip()]


def chunks_of(sample):
    """1-based inclusive samtools regions ({name} braces keep odd contig names intact)."""
    out = []
    for name, length in read_fai(config["samples"][sample]):
        for beg in range(0, length, int(config.get("chunk_size", 1000000))):
            end = min(length, beg + int(config.get("chunk_size", 1000000)))
            out.append(f"{{{name}}}:{beg + 1}-{end}")
    return out


def chunk_files(wildcards):
    n = len(chunks_of(wildcards.sample))
    return [f"chunks/{wildcards.sample}/{wildcards.track}/{i:05d}.bw" for i in range(n)]
