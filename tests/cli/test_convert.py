"""`dnassm convert`: published checkpoints into model folders."""
import json
import os
import shutil

import numpy as np

from cli_support import ROOT, Tmp, run


class ConvertTests(Tmp):
    def torch_state_dict(self, golden):
        import struct
        import torch
        with open(os.path.join(golden, "model.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        out = {}
        for k, v in header.items():
            if k == "__metadata__":
                continue
            b, e = v["data_offsets"]
            dt = {"F32": "<f4", "I64": "<i8"}[v["dtype"]]
            out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt).reshape(v["shape"]).copy())
        return out

    def check_embed(self, model, golden):
        with open(os.path.join(golden, "sequence.txt")) as f:
            seq = f.read().strip()
        with open(self.path("s.fa"), "w") as f:
            f.write(">s\n" + seq + "\n")
        run("embed", "-m", model, "-o", self.path("h.npy"), self.path("s.fa"))
        want = np.load(os.path.join(golden, "hidden.npy"))[0]
        h = np.load(self.path("h.npy"))
        self.assertLess(np.linalg.norm(h - want) / np.linalg.norm(want), 1e-5)

    def test_pickles_and_safetensors_reproduce_golden_outputs(self):
        import torch
        gold = os.path.join(ROOT, "tests", "data", "golden")
        # HyenaDNA as a Lightning checkpoint (state_dict under "state_dict", keys prefixed "model.").
        h = os.path.join(gold, "hyenadna_tiny1k_L1024")
        os.makedirs(self.path("hsrc"))
        torch.save({"state_dict": {"model." + k: v for k, v in self.torch_state_dict(h).items()}, "epoch": 1},
                   self.path("hsrc/weights.ckpt"))
        shutil.copy(os.path.join(h, "config.json"), self.path("hsrc/config.json"))
        _, _, err = run("convert", self.path("hsrc/weights.ckpt"), "-o", self.path("h_out"))
        self.assertIn("hyena", err)
        self.check_embed(self.path("h_out"), h)
        # Caduceus-PS as an HF pytorch_model.bin (plain state_dict, int64 complement maps).
        c = os.path.join(gold, "caduceus_ps_L1024_B1")
        torch.save(self.torch_state_dict(c), self.path("c.bin"))
        run("convert", self.path("c.bin"), "--config", os.path.join(c, "config.json"), "-o", self.path("c_out"))
        self.check_embed(self.path("c_out"), c)
        # mamba_ssm safetensors folder: handled without Python.
        m = os.path.join(gold, "mamba1_rmsnorm_L2048_B2")
        run("convert", m, "-o", self.path("m_out"))
        self.assertTrue(os.path.exists(self.path("m_out/model.safetensors")))
        _, _, err = run("convert", m, "-o", self.path("m_out"), expect=2)
        self.assertIn("already exists", err)
        # --force replaces the folder, but never one holding what is converted (nor the folder itself).
        for src, extra in ((self.path("m_out"), []), (self.path("m_out/model.safetensors"), []),
                           (m, ["--config", self.path("m_out/config.json")])):
            _, _, err = run("convert", src, *extra, "-o", self.path("m_out"), "--force", expect=2)
            self.assertIn(f"-o {self.path('m_out')}: --force would replace ", err)
            self.assertEqual(sorted(os.listdir(self.path("m_out"))), ["config.json", "model.safetensors"])

    def test_bad_checkpoints(self):
        with open(self.path("junk.bin"), "wb") as f:
            f.write(b"junk data")
        _, _, err = run("convert", self.path("junk.bin"), "--config",
                        os.path.join(ROOT, "tests", "data", "golden", "caduceus_ps_L1024_B1", "config.json"),
                        "-o", self.path("out"), expect=1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("junk.bin: not a PyTorch checkpoint", err)
        self.assertFalse(os.path.exists(self.path("out")))
        import torch
        torch.save({"x": torch.zeros(3)}, self.path("wrong.bin"))
        _, _, err = run("convert", self.path("wrong.bin"), "--config",
                        os.path.join(ROOT, "tests", "data", "golden", "caduceus_ps_L1024_B1", "config.json"),
                        "-o", self.path("out"), expect=1)
        self.assertIn("missing tensor", err)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["junk.bin", "wrong.bin"])  # nothing half-written
