#!/usr/bin/python3
"""Parity of dnassm with the independent PyTorch reference (mamba_torch.py):
1. the reference itself reproduces the official golden files (so it is trustworthy);
2. dnassm embed on the bundled dnassm-format model equals the reference on real lambda DNA,
   in one pass and streamed in chunks.
Usage: torch_parity_test.py DNASSM_BINARY"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
try:
    import torch
    from hyena_torch import TorchHyena
    from mamba_torch import TorchMamba, read_fasta_region, tokenize
except ImportError as e:  # python3-torch missing: say so visibly
    torch = None
    IMPORT_ERROR = str(e)

DNASSM = None


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / np.linalg.norm(b))


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class TorchReference(unittest.TestCase):
    def test_reference_matches_golden(self):
        for case in ("mamba1_rmsnorm_L2048_B2", "mamba1_layernorm_L2048_B2"):
            d = os.path.join(ROOT, "tests", "data", "golden", case)
            m = TorchMamba(d)
            ids = np.load(os.path.join(d, "input_ids.npy"))
            hidden = np.load(os.path.join(d, "hidden.npy"))
            for b in range(ids.shape[0]):
                layers = []
                h, _ = m.forward(torch.from_numpy(ids[b]), layers_out=layers)
                self.assertLess(rel(h.numpy(), hidden[b]), 1e-5, case)
                for k, x in enumerate(layers):
                    self.assertLess(rel(x.numpy(), np.load(os.path.join(d, f"layer{k}.npy"))[b]), 1e-5)

    def test_chunked_scan_equals_the_loop(self):
        from mamba_torch import chunked_scan
        g = torch.Generator().manual_seed(3)
        for L in (1, 127, 128, 300):
            E, N = 5, 3
            dA = torch.rand(L, E, N, generator=g, dtype=torch.float64)
            dBu = torch.randn(L, E, N, generator=g, dtype=torch.float64)
            Cm = torch.randn(L, N, generator=g, dtype=torch.float64)
            s0 = torch.randn(E, N, generator=g, dtype=torch.float64)
            s, ys = s0, []
            for i in range(L):
                s = dA[i] * s + dBu[i]
                ys.append(s @ Cm[i])
            y, s_end = chunked_scan(dA, dBu, Cm, s0, T=64)
            self.assertLess(rel(y.numpy(), torch.stack(ys).numpy()), 1e-12, L)
            self.assertLess(rel(s_end.numpy(), s.numpy()), 1e-12, L)
        model = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
        ids = tokenize(read_fasta_region(os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz"), 0, 700))
        loop, chunked = TorchMamba(model), TorchMamba(model)
        chunked.scan = "chunked"
        self.assertLess(rel(chunked.embed(ids, chunk=300).numpy(), loop.embed(ids, chunk=300).numpy()), 1e-5)

    def test_dnassm_matches_reference_on_bundled_model(self):
        model = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
        fasta = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
        ref = TorchMamba(model).embed(tokenize(read_fasta_region(fasta, 30000, 33000)), chunk=1000).numpy()
        with tempfile.TemporaryDirectory() as tmp:
            for chunk in ("65536", "999"):
                out = os.path.join(tmp, f"e{chunk}.npy")
                subprocess.run([DNASSM, "embed", "-m", model, "-r", "NC_001416.1:30001-33000", "--chunk", chunk,
                                "-o", out, fasta], check=True)
                self.assertLess(rel(np.load(out), ref), 1e-4, f"--chunk {chunk}")


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class TorchHyenaReference(unittest.TestCase):
    def test_reference_matches_golden(self):
        for case in ("hyenadna_tiny1k_L1024", "hyenadna_tiny1k_L300"):
            d = os.path.join(ROOT, "tests", "data", "golden", case)
            ids = np.load(os.path.join(d, "input_ids.npy"))[0]
            layers = []
            h = TorchHyena(d).forward(torch.from_numpy(ids), layers)
            self.assertLess(rel(h.numpy(), np.load(os.path.join(d, "hidden.npy"))[0]), 1e-5, case)
            for k, x in enumerate(layers):
                self.assertLess(rel(x.numpy(), np.load(os.path.join(d, f"layer{k}.npy"))[0]), 1e-5)

    def test_dnassm_matches_reference_on_dnassm_format_model(self):
        """A dnassm-format HyenaDNA (no stored buffers, recomputed) against the reference."""
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "hyena")
            subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_hyena.py"), model,
                            "--d-model", "64", "--n-layer", "2", "--l-max", "4098", "--wide"], check=True)
            fasta = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
            ref = TorchHyena(model).forward(tokenize(read_fasta_region(fasta, 20000, 23000))).numpy()
            out = os.path.join(tmp, "e.npy")
            subprocess.run([DNASSM, "embed", "-m", model, "-r", "NC_001416.1:20001-23000", "-o", out, fasta],
                           check=True)
            self.assertLess(rel(np.load(out), ref), 1e-4)


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
