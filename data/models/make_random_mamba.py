#!/usr/bin/python3
"""Writes a randomly initialised Mamba-1 LM in dnassm's model format (config.json +
model.safetensors), using mamba_ssm's initialisation (MODELS.md §2.1): the starting point of
`dnassm pretrain` (the bundled default model was trained from `make_random_mamba.py INIT 128 4`).

    /usr/bin/python3 data/models/make_random_mamba.py OUT_DIR [D_MODEL N_LAYER]
"""
import json
import math
import os
import struct
import sys

import numpy as np

D, N_LAYER, D_STATE, D_CONV, EXPAND, VOCAB = 128, 4, 16, 4, 2, 16
E, R = EXPAND * D, math.ceil(D / 16)
SEED = 20261123


def kaiming_uniform(rng, out_f, in_f, scale=1.0):
    bound = 1.0 / math.sqrt(in_f)  # PyTorch default Linear init (kaiming_uniform, a=sqrt(5))
    return (rng.uniform(-bound, bound, size=(out_f, in_f)) * scale).astype(np.float32)


def build(rng):
    t = {"embedding.weight": (rng.standard_normal((VOCAB, D)) * 0.02).astype(np.float32)}
    for i in range(N_LAYER):
        p = f"layers.{i}."
        t[p + "norm.weight"] = np.ones(D, np.float32)
        t[p + "mixer.in_proj.weight"] = kaiming_uniform(rng, 2 * E, D)
        t[p + "mixer.conv1d.weight"] = rng.uniform(-0.5, 0.5, size=(E, 1, D_CONV)).astype(np.float32)
        t[p + "mixer.conv1d.bias"] = rng.uniform(-0.5, 0.5, size=E).astype(np.float32)
        t[p + "mixer.x_proj.weight"] = kaiming_uniform(rng, R + 2 * D_STATE, E)
        std = R ** -0.5
        t[p + "mixer.dt_proj.weight"] = rng.uniform(-std, std, size=(E, R)).astype(np.float32)
        dt = np.exp(rng.uniform(math.log(1e-3), math.log(0.1), size=E)).clip(min=1e-4)
        t[p + "mixer.dt_proj.bias"] = (dt + np.log(-np.expm1(-dt))).astype(np.float32)
        t[p + "mixer.A_log"] = np.log(np.tile(np.arange(1, D_STATE + 1, dtype=np.float32), (E, 1)))
        t[p + "mixer.D"] = np.ones(E, np.float32)
        t[p + "mixer.out_proj.weight"] = kaiming_uniform(rng, D, E, 1 / math.sqrt(N_LAYER))
    t["norm_f.weight"] = np.ones(D, np.float32)
    return t


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_config(out_dir, config):
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def main(out_dir, d_model=None, n_layer=None):
    global D, N_LAYER, E, R
    if d_model:
        D, E, R = d_model, EXPAND * d_model, math.ceil(d_model / 16)
    if n_layer:
        N_LAYER = n_layer
    os.makedirs(out_dir, exist_ok=True)
    tensors = build(np.random.default_rng(SEED))
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "dnassm"})
    config = {
        "format": "dnassm", "format_version": 1, "family": "mamba",
        "d_model": D, "n_layer": N_LAYER, "vocab_size": VOCAB, "d_state": D_STATE, "d_conv": D_CONV,
        "expand": EXPAND, "dt_rank": R, "norm": "rms", "norm_eps": 1e-5, "conv_bias": True,
        "bias": False, "tie_embeddings": True,
        "tokenizer": {"kind": "char", "ids": {"A": 7, "C": 8, "G": 9, "T": 10, "N": 11}, "uppercase": True},
        "provenance": "RANDOM weights (mamba_ssm initialisation, numpy seed %d) written by "
                      "data/models/make_random_mamba.py: an initial model for dnassm pretrain" % SEED,
    }
    write_config(out_dir, config)


if __name__ == "__main__":
    # make_random_mamba.py OUT_DIR [D_MODEL N_LAYER]
    args = sys.argv[1:]
    main(args[0] if args else "data/models/dnassm-mamba-small",
         int(args[1]) if len(args) > 1 else None, int(args[2]) if len(args) > 2 else None)
