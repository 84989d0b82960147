#!/usr/bin/env python3
"""A streamed sequence through a whole model: dnassm's pipelined windows (run_sequence: results
stay on the backend, logits computed there, copies down overlapped with the next window) against
the same windows one at a time (forward() to the host, then the consumer), same backend, model and
input, measured in the same run by bench/bench_pipeline. Prints Markdown for bench/RESULTS.md.

    python3 bench/run_bench_stream.py [--build build/release] [--device auto] [--bases N] [--chunk N]
                                      [--model DIR]
"""
import argparse
import json
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bases", type=int, default=4 << 20)
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--model", default=os.path.join(ROOT, "data", "models", "dnassm-mamba-small"))
    ap.add_argument("--min-time", default="1")
    a = ap.parse_args()
    env = dict(os.environ, DNASSM_BENCH_DEVICE=a.device, DNASSM_BENCH_BASES=str(a.bases),
               DNASSM_BENCH_CHUNK=str(a.chunk), DNASSM_BENCH_MODEL=a.model)
    out = subprocess.run([os.path.join(a.build, "bench", "bench_pipeline"), "--benchmark_format=json",
                          f"--benchmark_min_time={a.min_time}"], env=env, capture_output=True, check=True)
    runs = {b["run_name"]: b for b in json.loads(out.stdout)["benchmarks"]}
    first = next(iter(runs.values()))
    print(f"Streamed {a.bases:,} bases in chunks of {a.chunk:,}: {first['label']}\n")
    print("| results wanted | one window at a time | pipelined | speed-up |")
    print("|---|---|---|---|")
    for arg, what in (("0", "hidden states"), ("1", "logits only")):
        one = runs[f"BM_OneAtATime/{arg}/real_time"]
        pipe = runs[f"BM_Pipelined/{arg}/real_time"]
        rate = lambda b: b["bases_per_s"] / 1e6  # noqa: E731
        print(f"| {what} | {one['real_time']:.0f} ms ({rate(one):.2f} Mb/s) | "
              f"{pipe['real_time']:.0f} ms ({rate(pipe):.2f} Mb/s) | "
              f"{one['real_time'] / pipe['real_time']:.2f}x |")


if __name__ == "__main__":
    main()
