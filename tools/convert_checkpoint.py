#!/usr/bin/python3
"""Pickle-based PyTorch checkpoints (.ckpt, .bin, .pt) -> safetensors, for `dnassm convert`.

    /usr/bin/python3 tools/convert_checkpoint.py SRC OUT_DIR [--config CONFIG.json] [--trust-pickle]

Reads SRC with torch.load(weights_only=True) (no code from the file runs; --trust-pickle allows
full unpickling of checkpoints that store other objects, e.g. Lightning hyper-parameters), takes
its state_dict (Lightning `state_dict`, a `model`/`module` entry, or the dict itself), and writes
OUT_DIR/model.safetensors (floating tensors as F32, integer buffers as I64, key names unchanged:
dnassm's loader knows the published prefixes) plus OUT_DIR/config.json copied from --config or
from SRC's folder.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt", "converted_by": "dnassm convert"}}, 0, []
    for name in sorted(tensors):
        a = tensors[name]
        dtype = "I64" if a.dtype == np.int64 else "F32"
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def state_dict_of(obj):
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "module"):
            if key in obj and isinstance(obj[key], dict):
                return obj[key]
        return obj
    if hasattr(obj, "state_dict"):
        return obj.state_dict()
    raise ValueError("no state_dict found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out_dir")
    ap.add_argument("--config")
    ap.add_argument("--trust-pickle", action="store_true")
    a = ap.parse_args()
    with open(a.src, "rb") as f:
        magic = f.read(2)
    if magic != b"PK" and (len(magic) < 1 or magic[0] != 0x80):  # torch zip archive or a pickle
        sys.exit(f"{a.src}: not a PyTorch checkpoint (neither a torch zip archive nor a pickle)")
    try:
        obj = torch.load(a.src, map_location="cpu", weights_only=not a.trust_pickle)
    except Exception as e:  # noqa: BLE001 - one line for the user, whatever torch raised
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        hint = "" if a.trust_pickle else " (if you trust the file, add --trust-pickle)"
        sys.exit(f"{a.src}: cannot read the checkpoint: {first}{hint}")
    try:
        sd = state_dict_of(obj)
    except ValueError as e:
        sys.exit(f"{a.src}: {e}")
    tensors = {}
    for k, v in sd.items():
        if not torch.is_tensor(v):
            continue
        v = v.detach().cpu()
        if v.is_floating_point():
            tensors[k] = np.ascontiguousarray(v.to(torch.float32).numpy(), dtype="<f4")
        else:
            tensors[k] = np.ascontiguousarray(v.to(torch.int64).numpy(), dtype="<i8")
    if not tensors:
        sys.exit(f"{a.src}: the checkpoint holds no tensors")
    config = a.config or os.path.join(os.path.dirname(os.path.abspath(a.src)), "config.json")
    if not os.path.exists(config):
        sys.exit(f"{a.src}: no config.json beside it; give --config CONFIG.json")
    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, "model.safetensors"), tensors)
    shutil.copyfile(config, os.path.join(a.out_dir, "config.json"))


if __name__ == "__main__":
    main()
