#!/usr/bin/python3
"""Writes a randomly initialised HyenaDNA model in dnassm format (HyenaDNA's initialisation,
MODELS.md §1.7) for benchmarks: speed and memory do not depend on the weight values.

    /usr/bin/python3 bench/make_random_hyena.py OUT_DIR [--d-model 256] [--n-layer 8] [--l-max 1000002]

pos_emb.z/t and modulation.deltas are not stored: dnassm recomputes them from the formulas.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data", "models"))
from make_random_mamba import write_safetensors  # noqa: E402


def build(rng, D, n_layer, F=64, emb_dim=5):
    E = 4 * D
    n = lambda *shape, std=0.02: (rng.standard_normal(shape) * std).astype(np.float32)
    t = {"embeddings.word_embeddings.weight": n(16, D), "ln_f.weight": np.ones(D, np.float32),
         "ln_f.bias": np.zeros(D, np.float32)}
    for i in range(n_layer):
        p = f"layers.{i}."
        t.update({
            p + "norm1.weight": np.ones(D, np.float32), p + "norm1.bias": np.zeros(D, np.float32),
            p + "norm2.weight": np.ones(D, np.float32), p + "norm2.bias": np.zeros(D, np.float32),
            p + "mixer.in_proj.weight": n(3 * D, D), p + "mixer.in_proj.bias": np.zeros(3 * D, np.float32),
            p + "mixer.short_filter.weight": n(3 * D, 1, 3, std=0.5), p + "mixer.short_filter.bias": n(3 * D),
            p + "mixer.filter_fn.bias": n(D, std=1.0),
            p + "mixer.filter_fn.implicit_filter.0.weight": n(F, emb_dim, std=0.3),
            p + "mixer.filter_fn.implicit_filter.0.bias": n(F),
            p + "mixer.filter_fn.implicit_filter.1.freq": np.full((1, F), 10.0, np.float32),
            p + "mixer.filter_fn.implicit_filter.2.weight": n(F, F, std=0.1),
            p + "mixer.filter_fn.implicit_filter.2.bias": n(F),
            p + "mixer.filter_fn.implicit_filter.4.weight": n(F, F, std=0.1),
            p + "mixer.filter_fn.implicit_filter.4.bias": n(F),
            p + "mixer.filter_fn.implicit_filter.6.weight": n(D, F, std=0.1),
            p + "mixer.out_proj.weight": n(D, D, std=0.02 / np.sqrt(2 * n_layer)),
            p + "mixer.out_proj.bias": np.zeros(D, np.float32),
            p + "mlp.fc1.weight": n(E, D), p + "mlp.fc1.bias": np.zeros(E, np.float32),
            p + "mlp.fc2.weight": n(D, E, std=0.02 / np.sqrt(2 * n_layer)), p + "mlp.fc2.bias": np.zeros(D, np.float32),
        })
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=8)
    ap.add_argument("--l-max", type=int, default=1_000_002)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, "model.safetensors"), build(np.random.default_rng(7), a.d_model, a.n_layer),
                      {"format": "dnassm"})
    cfg = {"format": "dnassm", "format_version": 1, "family": "hyena", "d_model": a.d_model, "n_layer": a.n_layer,
           "d_inner": 4 * a.d_model, "vocab_size": 16, "l_max": a.l_max, "emb_dim": 5, "filter_order": 64,
           "shift": 0.05, "tie_embeddings": True,
           "provenance": "RANDOM weights for benchmarks (bench/make_random_hyena.py)"}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


if __name__ == "__main__":
    main()
