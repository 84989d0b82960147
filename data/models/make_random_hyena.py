#!/usr/bin/python3
"""Writes a randomly initialised HyenaDNA LM in dnassm's model format (config.json +
model.safetensors). By default standalone_hyenadna.py's initialisation (MODELS.md §1): every
Linear N(0, 0.02) with zero bias, out_proj/fc2 rescaled by 1/sqrt(2 n_layer), embedding
N(0, 0.02), filter bias N(0, 1), short conv PyTorch's default, Sin frequency 10 — the starting
point of `dnassm pretrain`. `--wide` draws the short conv and implicit-filter weights wider
(std 0.1-0.5) so parity tests and benchmarks exercise the filter's nonlinearity.

    /usr/bin/python3 data/models/make_random_hyena.py OUT_DIR [D_MODEL N_LAYER L_MAX]
        [--d-model 128] [--n-layer 2] [--l-max 4098] [--wide]
"""
import argparse
import math
import os

import numpy as np

from make_random_mamba import write_config, write_safetensors

VOCAB, EMB_DIM, ORDER, INNER_MLPS, FREQ = 16, 5, 64, 2, 10.0
SEED = 20261129


def build(rng, d, n_layer, wide):
    def normal(*shape, std=0.02):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    zeros, ones = (lambda n: np.zeros(n, np.float32)), (lambda n: np.ones(n, np.float32))
    out_std = 0.02 / math.sqrt(2 * n_layer)
    t = {"embeddings.word_embeddings.weight": normal(VOCAB, d)}
    for i in range(n_layer):
        p, f = f"layers.{i}.", f"layers.{i}.mixer.filter_fn."
        t.update({p + "norm1.weight": ones(d), p + "norm1.bias": zeros(d),
                  p + "norm2.weight": ones(d), p + "norm2.bias": zeros(d),
                  p + "mixer.in_proj.weight": normal(3 * d, d), p + "mixer.in_proj.bias": zeros(3 * d),
                  p + "mixer.out_proj.weight": normal(d, d, std=out_std),
                  p + "mixer.out_proj.bias": zeros(d),
                  p + "mlp.fc1.weight": normal(4 * d, d), p + "mlp.fc1.bias": zeros(4 * d),
                  p + "mlp.fc2.weight": normal(d, 4 * d, std=out_std), p + "mlp.fc2.bias": zeros(d),
                  f + "bias": normal(d, std=1.0)})
        if wide:
            t[p + "mixer.short_filter.weight"] = normal(3 * d, 1, 3, std=0.5)
            t[p + "mixer.short_filter.bias"] = normal(3 * d)
        else:
            bound = 1.0 / math.sqrt(3)  # Conv1d(groups=channels, kernel 3): fan_in 3
            t[p + "mixer.short_filter.weight"] = rng.uniform(-bound, bound, (3 * d, 1, 3)).astype(np.float32)
            t[p + "mixer.short_filter.bias"] = rng.uniform(-bound, bound, 3 * d).astype(np.float32)
        widths = [EMB_DIM] + [ORDER] * (INNER_MLPS + 1)
        for m in range(INNER_MLPS + 1):
            std = (0.3 if m == 0 else 0.1) if wide else 0.02
            t[f + f"implicit_filter.{2 * m}.weight"] = normal(ORDER, widths[m], std=std)
            t[f + f"implicit_filter.{2 * m}.bias"] = normal(ORDER) if wide else zeros(ORDER)
        t[f + "implicit_filter.1.freq"] = np.full(ORDER, FREQ, np.float32)
        t[f + f"implicit_filter.{2 * INNER_MLPS + 2}.weight"] = normal(d, ORDER, std=0.1 if wide else 0.02)
    t["ln_f.weight"], t["ln_f.bias"] = ones(d), zeros(d)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("sizes", nargs="*", type=int, help="D_MODEL N_LAYER L_MAX (positional form)")
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--l-max", type=int, default=4098)
    ap.add_argument("--wide", action="store_true")
    a = ap.parse_args()
    if a.sizes:
        if len(a.sizes) != 3:
            ap.error("give D_MODEL N_LAYER L_MAX together")
        a.d_model, a.n_layer, a.l_max = a.sizes
    os.makedirs(a.out, exist_ok=True)
    tensors = build(np.random.default_rng(SEED), a.d_model, a.n_layer, a.wide)
    write_safetensors(os.path.join(a.out, "model.safetensors"), tensors, {"format": "dnassm"})
    config = {
        "format": "dnassm", "format_version": 1, "family": "hyena",
        "d_model": a.d_model, "n_layer": a.n_layer, "d_inner": 4 * a.d_model, "vocab_size": VOCAB,
        "l_max": a.l_max, "emb_dim": EMB_DIM, "filter_order": ORDER, "num_inner_mlps": INNER_MLPS,
        "shift": 0.05, "modulate": True, "layer_norm_epsilon": 1e-5, "tie_embeddings": True,
        "tokenizer": {"kind": "char", "uppercase": True},
        "provenance": "RANDOM weights (%s, numpy seed %d) written by data/models/make_random_hyena.py"
                      % ("wide, for tests and benchmarks" if a.wide else "standalone_hyenadna initialisation",
                         SEED),
    }
    write_config(a.out, config)


if __name__ == "__main__":
    main()
