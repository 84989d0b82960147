"""Minimal safetensors reader (F32 only) on numpy, shared by the CLI tests and the references."""
import json
import struct

import numpy as np


def read_safetensors_numpy(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", f"{k}: only F32 supported here"
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[b:e], dtype="<f4").reshape(v["shape"]).copy()
    return out
