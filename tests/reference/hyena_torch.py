#!/usr/bin/python3
"""Independent PyTorch implementation of the HyenaDNA forward pass, written from MODELS.md §1
(standalone_hyenadna.py semantics: order-2 Hyena operator with the implicit Sin-MLP filter,
exponential modulation with shift, rfft/irfft long convolution with n = 2L, tanh-GELU MLP,
pre-norm LayerNorm blocks). Reads the same model directories as dnassm (the repo's layout with
"backbone." keys, the -hf "hyena.backbone." layout, or dnassm's own) and recomputes pos_emb
z/t and modulation deltas when they are not stored.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from mamba_torch import move_tensors, read_safetensors


class TorchHyena:
    def __init__(self, model_dir):
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        t = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        layer = cfg.get("layer", {})
        self.D, self.n_layer = cfg["d_model"], cfg["n_layer"]
        self.l_max = cfg.get("l_max") or layer.get("l_max") or cfg.get("max_seq_len")
        self.emb_dim = cfg.get("emb_dim") or layer.get("emb_dim", 5)
        self.shift = cfg.get("shift", layer.get("shift", 0.05))
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)

        def get(k):
            for p in ("backbone.", "hyena.backbone.", "", "hyena."):
                if p + k in t:
                    return t[p + k]
            raise KeyError(k)
        self.get = get
        self.emb = get("embeddings.word_embeddings.weight")
        self.lm_head = t.get("lm_head.weight", self.emb)
        self.layers = [self._layer(f"layers.{i}.") for i in range(self.n_layer)]
        self.ln_f = (get("ln_f.weight"), get("ln_f.bias"))

    def _layer(self, p):
        g = self.get
        L = {k: g(p + k) for k in ("norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
                                   "mixer.in_proj.weight", "mixer.in_proj.bias", "mixer.short_filter.weight",
                                   "mixer.short_filter.bias", "mixer.filter_fn.bias", "mixer.out_proj.weight",
                                   "mixer.out_proj.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight",
                                   "mlp.fc2.bias")}
        f = p + "mixer.filter_fn."
        try:
            L["z"], L["t"] = g(f + "pos_emb.z")[0], g(f + "pos_emb.t")[0, :, 0]
        except KeyError:
            Lm, bands = self.l_max, (self.emb_dim - 1) // 2
            t = torch.linspace(0, 1, Lm)
            w = 2 * math.pi * torch.linspace(0, Lm - 1, Lm) / Lm
            fr = torch.linspace(1e-4, bands - 1, bands)
            zc = torch.exp(-1j * fr[None, :] * w[:, None])
            L["z"], L["t"] = torch.cat([t[:, None], zc.real, zc.imag], -1).float(), t
        try:
            L["deltas"] = g(f + "modulation.deltas").reshape(-1)
        except KeyError:
            L["deltas"] = torch.linspace(math.log(1e-2) / 1.5, math.log(1e-2) / 0.3, self.D)
        mlp = f + "implicit_filter."
        for k in ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight"):
            L["mlp." + k] = g(mlp + k)
        L["freq"] = g(mlp + "1.freq").reshape(-1)
        return L

    def filter(self, L, n):
        h = torch.sin(L["freq"] * (L["z"][:n] @ L["mlp.0.weight"].T + L["mlp.0.bias"]))
        h = torch.sin(L["freq"] * (h @ L["mlp.2.weight"].T + L["mlp.2.bias"]))
        h = torch.sin(L["freq"] * (h @ L["mlp.4.weight"].T + L["mlp.4.bias"]))
        h = h @ L["mlp.6.weight"].T                                   # [n, D]
        return h * (torch.exp(-L["t"][:n, None] * L["deltas"].abs()) + self.shift)

    def to(self, device):
        return move_tensors(self, device)

    @torch.no_grad()
    def forward(self, ids, layers_out=None):
        n, D = len(ids), self.D
        x = self.emb[ids.to(self.emb.device)]
        for L in self.layers:
            h = F.layer_norm(x, (D,), L["norm1.weight"], L["norm1.bias"], self.eps)
            u = (h @ L["mixer.in_proj.weight"].T + L["mixer.in_proj.bias"]).T[None]        # [1, 3D, n]
            uc = F.conv1d(u, L["mixer.short_filter.weight"], L["mixer.short_filter.bias"], padding=2,
                          groups=3 * D)[..., :n]
            x0, x1, v = uc.split(D, dim=1)
            k = self.filter(L, n).T                                                        # [D, n]
            v = v * x1
            fft_n = 2 * n
            k_f = torch.fft.rfft(k, n=fft_n) / fft_n
            v_f = torch.fft.rfft(v, n=fft_n)
            y = torch.fft.irfft(v_f * k_f, n=fft_n, norm="forward")[..., :n]
            y = (y + v * L["mixer.filter_fn.bias"][:, None]) * x0
            x = x + (y[0].T @ L["mixer.out_proj.weight"].T + L["mixer.out_proj.bias"])
            h = F.layer_norm(x, (D,), L["norm2.weight"], L["norm2.bias"], self.eps)
            m = F.gelu(h @ L["mlp.fc1.weight"].T + L["mlp.fc1.bias"], approximate="tanh")
            x = x + (m @ L["mlp.fc2.weight"].T + L["mlp.fc2.bias"])
            if layers_out is not None:
                layers_out.append(x.clone())
        return F.layer_norm(x, (D,), *self.ln_f, self.eps)
