#!/usr/bin/python3
"""Writes a randomly initialised Caduceus masked LM (MODELS.md §3) in the released Hugging Face
layout (config.json + model.safetensors, `caduceus.backbone.*` keys): the starting point of
`dnassm pretrain` for a bidirectional model. Initialisation as Caduceus's (mamba_ssm's mixer
initialisation, embedding N(0, 0.02), out_proj rescaled by 1/sqrt(n_layer)); the reverse Mamba's
in/out projections are the forward one's (bidirectional_weight_tie, as in every released model).

    /usr/bin/python3 data/models/make_random_caduceus.py OUT_DIR [--ph] [D_MODEL N_LAYER]

Without --ph the model is the RC-equivariant PS variant (rcps: true).
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_random_mamba import kaiming_uniform, write_config, write_safetensors  # noqa: E402

D_STATE, D_CONV, EXPAND, VOCAB = 16, 4, 2, 16
SEED = 20261130
COMPLEMENT = {i: i for i in range(VOCAB)} | {7: 10, 8: 9, 9: 8, 10: 7}


def mixer(rng, d, n_layer):
    e, r = EXPAND * d, math.ceil(d / 16)
    dt = np.exp(rng.uniform(math.log(1e-3), math.log(0.1), size=e)).clip(min=1e-4)
    std = r ** -0.5
    return {
        "in_proj.weight": kaiming_uniform(rng, 2 * e, d),
        "conv1d.weight": rng.uniform(-0.5, 0.5, size=(e, 1, D_CONV)).astype(np.float32),
        "conv1d.bias": rng.uniform(-0.5, 0.5, size=e).astype(np.float32),
        "x_proj.weight": kaiming_uniform(rng, r + 2 * D_STATE, e),
        "dt_proj.weight": rng.uniform(-std, std, size=(e, r)).astype(np.float32),
        "dt_proj.bias": (dt + np.log(-np.expm1(-dt))).astype(np.float32),
        "A_log": np.log(np.tile(np.arange(1, D_STATE + 1, dtype=np.float32), (e, 1))),
        "D": np.ones(e, np.float32),
        "out_proj.weight": kaiming_uniform(rng, d, e, 1 / math.sqrt(n_layer)),
    }


def build(rng, d, n_layer, rcps):
    b = "caduceus.backbone."
    emb = b + ("embeddings.word_embeddings.embedding.weight" if rcps else "embeddings.word_embeddings.weight")
    t = {emb: (rng.standard_normal((VOCAB, d)) * 0.02).astype(np.float32)}
    sub = ".mixer.submodule." if rcps else ".mixer."
    for i in range(n_layer):
        p = f"{b}layers.{i}"
        t[p + ".norm.weight"] = np.ones(d, np.float32)
        fwd, rev = mixer(rng, d, n_layer), mixer(rng, d, n_layer)
        for tied in ("in_proj.weight", "out_proj.weight"):
            rev[tied] = fwd[tied]
        for name, a in fwd.items():
            t[p + sub + "mamba_fwd." + name] = a
        for name, a in rev.items():
            t[p + sub + "mamba_rev." + name] = a
    t[b + "norm_f.weight"] = np.ones(d, np.float32)
    return t


def main(out_dir, d_model=128, n_layer=4, rcps=True):
    os.makedirs(out_dir, exist_ok=True)
    tensors = build(np.random.default_rng(SEED), d_model, n_layer, rcps)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    config = {
        "model_type": "caduceus", "architectures": ["CaduceusForMaskedLM"],
        "d_model": d_model, "n_layer": n_layer, "vocab_size": VOCAB,
        "ssm_cfg": {"d_state": D_STATE, "d_conv": D_CONV, "expand": EXPAND, "dt_rank": "auto",
                    "dt_min": 0.001, "dt_max": 0.1, "dt_init": "random", "dt_scale": 1.0,
                    "dt_init_floor": 1e-4, "conv_bias": True, "bias": False},
        "rms_norm": True, "residual_in_fp32": False, "fused_add_norm": True, "pad_vocab_size_multiple": 8,
        "norm_epsilon": 1e-5,
        "initializer_cfg": {"initializer_range": 0.02, "rescale_prenorm_residual": True,
                            "n_residuals_per_layer": 1},
        "bidirectional": True, "bidirectional_strategy": "add", "bidirectional_weight_tie": True,
        "rcps": rcps, "complement_map": {str(k): v for k, v in COMPLEMENT.items()},
        "tie_word_embeddings": True,
        "provenance": "RANDOM weights (Caduceus initialisation, numpy seed %d) written by "
                      "data/models/make_random_caduceus.py: an initial model for dnassm pretrain" % SEED,
    }
    write_config(out_dir, config)


if __name__ == "__main__":
    args = sys.argv[1:]
    ph = "--ph" in args
    args = [a for a in args if a != "--ph"]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    main(args[0], int(args[1]) if len(args) > 1 else 128, int(args[2]) if len(args) > 2 else 4, not ph)
