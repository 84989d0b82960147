"""Minimal safetensors reader (F32, and the integer buffers checkpoints carry) on numpy, shared
by the CLI tests and the references."""
import json
import struct

import numpy as np

DTYPES = {"F32": "<f4", "I64": "<i8", "I32": "<i4"}


def read_safetensors_numpy(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] in DTYPES, f"{k}: dtype {v['dtype']} not supported here"
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[b:e], dtype=DTYPES[v["dtype"]]).reshape(v["shape"]).copy()
    return out
