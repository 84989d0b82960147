#!/usr/bin/env python3
"""GPU benchmarks of issues C1/C2 in one command, on a machine with an NVIDIA GPU and PyTorch with
CUDA (run it with that Python). Prints Markdown for bench/RESULTS.md:

- device copy bandwidth (the roofline) and the selective scan forward/backward at L = 1M, E = 512,
  N = 16 (fp32) as bytes/s over the compulsory traffic (bench_cuda, CUDA events, device-resident
  buffers), against PyTorch's reference scan (selective_scan_ref's loop) on the same GPU;
- the cuFFT Hyena long convolution at 1M against torch.fft on the same GPU;
- whole models on a 1 Mb window: `dnassm embed --device cuda` (wall time of the process, model load
  and host<->device copies included) against the PyTorch references (tests/reference) on the GPU,
  for a HyenaDNA-size model (d_model 256, 8 layers) and a Mamba of similar size (d_model 256,
  16 layers, ~7 M parameters). PyTorch's Mamba runs the whole window with a chunked scan
  (tests/reference/mamba_torch.py chunked_scan); its step-by-step reference loop is also timed, on
  16,384 bases. dnassm's time is also given less that of a 1 kb run (startup and model load), and
  with --bf16 (bfloat16 GEMM inputs; PyTorch stays fp32);
- many short sequences (500 x 1 kb, one at a time): dnassm on CUDA and on the CPU against PyTorch
  forward() calls, where per-op overhead rather than bandwidth sets the pace.

    python3 bench/run_bench_cuda.py [--build build/release] [--quick] [--part kernels|models]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from hyena_torch import TorchHyena  # noqa: E402
from mamba_torch import TorchMamba, read_fasta_region, tokenize  # noqa: E402

GENOME = os.path.join(ROOT, "..", "shared", "data", "ecoli_k12_mg1655", "ecoli_k12_mg1655.bgzf.fa.gz")
CONTIG = "NC_000913.3"


def sync_time(fn, reps=3):
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps


def kernels(build, quick):
    flt = "BM_DeviceCopy|BM_ScanForward/1048576|BM_ScanBackward/1048576|BM_HyenaFftConv/1048576"
    if quick:
        flt = "BM_DeviceCopy|BM_ScanForward/65536|BM_ScanBackward/65536|BM_HyenaFftConv/32768"
    # BM_ScanForward/L/E/N/bf16/staged, BM_ScanBackward/L/E/N/per_channel
    out = subprocess.run([os.path.join(build, "bench", "bench_cuda"), f"--benchmark_filter={flt}",
                          "--benchmark_format=json", "--benchmark_min_time=0.2"],
                         capture_output=True, check=True)
    return {b["run_name"]: b for b in json.loads(out.stdout)["benchmarks"]}


def torch_scan_rate(L, E, N):
    dev = "cuda"
    u, dt = torch.rand(L, E, device=dev) - 0.5, torch.rand(L, E, device=dev) * 0.1
    A = -torch.rand(E, N, device=dev) - 0.5
    Bm, Cm = torch.rand(L, N, device=dev), torch.rand(L, N, device=dev)

    def run():
        s = torch.zeros(E, N, device=dev)
        dA = torch.exp(dt.unsqueeze(-1) * A)
        dBu = (dt * u).unsqueeze(-1) * Bm.unsqueeze(1)
        ys = []
        for i in range(L):
            s = dA[i] * s + dBu[i]
            ys.append(s @ Cm[i])
        return torch.stack(ys)
    return L * E * N / sync_time(run, reps=1)


def torch_fft_rate(L, D):
    w = torch.rand(D, L, device="cuda") - 0.5
    k = torch.rand(D, L, device="cuda") * 1e-3
    x0 = torch.rand(D, L, device="cuda")
    b = torch.rand(D, 1, device="cuda")

    def run():
        n = 2 * L
        y = torch.fft.irfft(torch.fft.rfft(w, n=n) * torch.fft.rfft(k, n=n), n=n, norm="forward")[..., :L]
        return (y / n + b * w) * x0
    return L * D / sync_time(run)


def dnassm_embed(build, model, L=None, device="cuda", bed=None, threads=16, extra=()):
    """Wall time of one `dnassm embed --pool mean` process: the region 1-L, or every BED region."""
    with tempfile.TemporaryDirectory() as tmp:
        where = ["-R", bed] if bed else ["-r", f"{CONTIG}:1-{L}"]
        t0 = time.perf_counter()
        p = subprocess.run([os.path.join(build, "app", "dnassm"), "embed", "-m", model, "--device", device,
                            "-@", str(threads), *where, *extra, "--pool", "mean", "-o", os.path.join(tmp, "e.h5" if bed else "e.npy"),
                            GENOME], capture_output=True)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            return None, p.stderr.decode().strip().splitlines()[-1:]
        return secs, None


def startup_corrected(build, model, L, extra=()):
    """The 1 Mb run's wall time less a 1 kb run's (process start, CUDA context, model load, genome
    index: what a PyTorch timing of forward() leaves out), and the raw wall time."""
    secs, err = dnassm_embed(build, model, L, extra=extra)
    small, _ = dnassm_embed(build, model, 1000, extra=extra)
    if secs is None or small is None:
        return None, secs, err
    return secs - small, secs, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--quick", action="store_true", help="short lengths only (a smoke run)")
    ap.add_argument("--part", choices=("kernels", "models"), help="only the kernel or the whole-model table")
    a = ap.parse_args()
    assert torch.cuda.is_available(), "PyTorch sees no CUDA device"
    print(f"# {torch.cuda.get_device_name(0)}; torch {torch.__version__}\n")
    if a.part != "models":
        kernel_table(a)
    if a.part != "kernels":
        model_table(a)


def kernel_table(a):

    k = kernels(a.build, a.quick)
    copy = next(b for n, b in k.items() if n.startswith("BM_DeviceCopy"))["bytes_per_s"]
    print(f"Device-to-device copy: {copy / 1e9:.0f} GB/s (read + write)\n")
    print("| kernel | shape | time | achieved | of copy bandwidth | PyTorch on the same GPU | ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, b in k.items():
        parts = name.split("/")
        if parts[0] in ("BM_ScanForward", "BM_ScanBackward"):
            L, E, N = (int(x) for x in parts[1:4])
            dtype = "bf16" if parts[0] == "BM_ScanForward" and parts[4] == "1" else "fp32"
            if parts[0] == "BM_ScanForward" and parts[5] == "1":
                dtype += ", staged inputs"
            if parts[0] == "BM_ScanBackward" and parts[4] == "1":
                dtype += ", thread per channel"
            ref = ""
            ratio = ""
            if parts[0] == "BM_ScanForward" and dtype == "fp32":  # the default variant
                tr = torch_scan_rate(min(L, 4096), E, N)
                ours = L * E * N / (b["real_time"] / 1e3)
                ref, ratio = f"{tr / 1e9:.3f} G updates/s (L = {min(L, 4096)})", f"{ours / tr:.0f}x"
            print(f"| {parts[0][3:]} | L={L} E={E} N={N} {dtype} | {b['real_time']:.2f} ms | "
                  f"{b['bytes_per_s'] / 1e9:.0f} GB/s | {100 * b['bytes_per_s'] / copy:.0f} % | {ref} | {ratio} |",
                  flush=True)
        elif parts[0] == "BM_HyenaFftConv":
            L, D = int(parts[1]), int(parts[2])
            tr = torch_fft_rate(L, D)
            r = b["channel_samples_per_s"]
            print(f"| HyenaFftConv (cuFFT, filter fused) | L={L} D={D} | {b['real_time']:.2f} ms | "
                  f"{r / 1e9:.2f} G ch-samples/s | — | torch.fft {tr / 1e9:.2f} G | {r / tr:.1f}x |", flush=True)



def model_table(a):
    L = 65536 if a.quick else 1000000
    with tempfile.TemporaryDirectory() as tmp:
        hy, mb = os.path.join(tmp, "hyena"), os.path.join(tmp, "mamba")
        subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_hyena.py"), hy,
                        "--d-model", "256", "--n-layer", "8", "--l-max", str(L + 2), "--wide"], check=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_mamba.py"), mb,
                        "256", "16"], check=True)
        ids = tokenize(read_fasta_region(GENOME, 0, L))
        print(f"\nWhole model, {L:,}-base window\n")
        print("dnassm: wall time of the 1 Mb `embed` less that of a 1 kb one (process start, CUDA context, model "
              "load; the raw wall time in brackets). PyTorch: forward() alone, weights already on the GPU.\n")
        print("| model | dnassm --device cuda | bases/s | PyTorch on the GPU | bases/s | ratio |")
        print("|---|---|---|---|---|---|")

        def ours_cell(secs, wall, err):
            return f"{secs:.2f} s ({wall:.2f} s) | {L / secs:,.0f}" if secs else f"failed: {err} | —"

        secs, wall, err = startup_corrected(a.build, hy, L)
        th = TorchHyena(hy).to("cuda")
        t_secs = sync_time(lambda: th.forward(ids), reps=1)
        del th
        torch.cuda.empty_cache()
        print(f"| HyenaDNA d256x8 | {ours_cell(secs, wall, err)} | {t_secs:.2f} s | {L / t_secs:,.0f} | "
              f"{(t_secs / secs) if secs else float('nan'):.1f}x |", flush=True)
        secs, wall, err = startup_corrected(a.build, hy, L, extra=["--bf16"])
        print(f"| HyenaDNA d256x8, dnassm --bf16 (PyTorch fp32) | {ours_cell(secs, wall, err)} | {t_secs:.2f} s | "
              f"{L / t_secs:,.0f} | {(t_secs / secs) if secs else float('nan'):.1f}x |", flush=True)
        secs, wall, err = startup_corrected(a.build, mb, L)
        ours = ours_cell(secs, wall, err)
        tm = TorchMamba(mb).to("cuda")
        tm.scan = "chunked"  # chunked_scan: the whole window, not launch-bound like the loop
        tm.embed(ids[:65536], chunk=65536)  # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        tm.embed(ids, chunk=65536)
        torch.cuda.synchronize()
        t_secs = time.perf_counter() - t0
        print(f"| Mamba d256x16 | {ours} | {t_secs:.2f} s (chunked scan) | {L / t_secs:,.0f} | "
              f"{(t_secs / secs) if secs else float('nan'):.1f}x |", flush=True)
        secs, wall, err = startup_corrected(a.build, mb, L, extra=["--bf16"])
        print(f"| Mamba d256x16, dnassm --bf16 (PyTorch fp32) | {ours_cell(secs, wall, err)} | {t_secs:.2f} s | "
              f"{L / t_secs:,.0f} | {(t_secs / secs) if secs else float('nan'):.1f}x |", flush=True)
        tm.scan = "loop"  # selective_scan_ref's step-by-step loop, for reference: timed on 16,384
        Lt = min(L, 16384)
        t_loop = sync_time(lambda: tm.forward(ids[:Lt]), reps=1)
        print(f"| Mamba d256x16, PyTorch reference loop | | | {t_loop:.2f} s for {Lt:,} | {Lt / t_loop:,.0f} | |",
              flush=True)
        short_sequences(a, tmp, mb, tm)


def short_sequences(a, tmp, model, tm, n=500, length=1000):
    """Many short sequences, one at a time (per-op overhead rather than bandwidth): n regions of
    `length` bases, mean-pooled embeddings."""
    bed = os.path.join(tmp, "short.bed")
    with open(bed, "w") as f:
        for i in range(n):
            f.write(f"{CONTIG}\t{i * 5000}\t{i * 5000 + length}\n")
    print(f"\n{n:,} sequences of {length:,} bases (`embed -R`, --pool mean; wall time of the process)\n")
    print("| model | dnassm --device cuda | dnassm --device cpu -@ 16 | PyTorch on the GPU, forward() per sequence |")
    print("|---|---|---|---|")
    cells = []
    for dev in ("cuda", "cpu"):
        secs, err = dnassm_embed(a.build, model, device=dev, bed=bed)
        cells.append(f"{secs:.2f} s ({n / secs:,.0f} seq/s)" if secs else f"failed: {err}")
    tm.scan = "chunked"
    seq = read_fasta_region(GENOME, 0, n * 5000)
    batch = [tokenize(seq[i * 5000:i * 5000 + length]) for i in range(n)]
    t_secs = sync_time(lambda: [tm.forward(x) for x in batch], reps=1)
    print(f"| Mamba d256x16 | {cells[0]} | {cells[1]} | {t_secs:.2f} s ({n / t_secs:,.0f} seq/s) |", flush=True)


if __name__ == "__main__":
    main()
