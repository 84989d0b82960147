#!/usr/bin/python3
"""Independent PyTorch implementation of a Caduceus masked LM (the official CaduceusForMaskedLM
with fused_add_norm, as released), written from MODELS.md §3: BiMamba (forward Mamba plus a
reverse-direction Mamba whose in/out projections are the forward one's), Ph blocks, and PS's
RC-parameter-sharing wrappers with the literal fused-path half swap, the RC-equivariant LM head
and the official masked-LM recipe. Each direction's Mamba is mamba_torch.py's mixer.

Used as a parity reference (torch_parity_test.py) and as the PyTorch training baseline in bench/.
The forward is differentiable: `hidden` and `logits` do not disable autograd.
"""
import json
import os

import torch

from mamba_torch import TorchMamba, move_tensors, read_safetensors

MIXER_KEYS = ("in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight", "dt_proj.bias",
              "A_log", "D", "out_proj.weight")


def flip_lc(t):
    """F(.) of MODELS.md §3.3: reverse length and channels of an {L, d} tensor."""
    return t.flip(0).flip(1)


class TorchCaduceus:
    device = torch.device("cpu")

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        t = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        get = lambda k: t["caduceus.backbone." + k] if "caduceus.backbone." + k in t else t[k]
        ssm = cfg.get("ssm_cfg", {})
        self.D, self.n_layer, self.V = cfg["d_model"], cfg["n_layer"], cfg["vocab_size"]
        self.rcps, self.eps = cfg.get("rcps", False), cfg.get("norm_epsilon", 1e-5)
        self.multiply = cfg.get("bidirectional_strategy", "add") == "ew_multiply"
        self.comp = torch.tensor([cfg["complement_map"].get(str(v), v) for v in range(self.V)])
        self.emb = get("embeddings.word_embeddings.embedding.weight" if self.rcps
                       else "embeddings.word_embeddings.weight")
        sub = ".mixer.submodule." if self.rcps else ".mixer."
        self.layers = []
        for i in range(self.n_layer):
            p = f"layers.{i}"
            fwd = {k: get(p + sub + "mamba_fwd." + k) for k in MIXER_KEYS}
            rev = {k: get(p + sub + "mamba_rev." + k) for k in MIXER_KEYS
                   if k not in ("in_proj.weight", "out_proj.weight") or not cfg.get("bidirectional_weight_tie", True)}
            rev.setdefault("in_proj.weight", fwd["in_proj.weight"])  # the same tensor: tied
            rev.setdefault("out_proj.weight", fwd["out_proj.weight"])
            self.layers.append({"norm": get(p + ".norm.weight"), "fwd": fwd, "rev": rev})
        self.norm_f = get("norm_f.weight")
        # One direction's Mamba arithmetic, from mamba_torch.py (its mixer() reads only these).
        self.mamba = TorchMamba.__new__(TorchMamba)
        self.mamba.N, self.mamba.W = ssm.get("d_state", 16), ssm.get("d_conv", 4)
        self.mamba.E = ssm.get("expand", 2) * self.D
        self.mamba.R = self.layers[0]["fwd"]["dt_proj.weight"].shape[1]
        self.mamba.scan, self.mamba.scan_chunk = "chunked", 128

    def to(self, device):
        move_tensors(self, device)
        self.mamba.device = self.device
        return self

    def parameters(self):
        """The distinct trainable tensors (tied ones once)."""
        seen, out = set(), []
        for p in [self.emb, self.norm_f] + [v for l in self.layers for v in
                                            [l["norm"], *l["fwd"].values(), *l["rev"].values()]]:
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
        return out

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def mix(self, weights, h):
        zero = (torch.zeros(self.mamba.E, self.mamba.W, device=h.device),
                torch.zeros(self.mamba.E, self.mamba.N, device=h.device))
        return self.mamba.mixer(weights, h, zero)[0]

    def bimamba(self, layer, h):
        f, r = self.mix(layer["fwd"], h), self.mix(layer["rev"], h.flip(0)).flip(0)
        return f * r if self.multiply else f + r

    def hidden(self, ids):
        """Final hidden states {L, d} (Ph) or {L, 2d} (PS: [forward | flipped RC])."""
        ids = ids.to(self.emb.device)
        d = self.D
        if not self.rcps:
            h, res = self.emb[ids], None
            for layer in self.layers:
                res = h if res is None else h + res
                h = self.bimamba(layer, self.rms(res, layer["norm"]))
            return self.rms(h + res, self.norm_f)
        rc_ids = self.comp.to(ids.device)[ids].flip(0)
        h = torch.cat([self.emb[ids], flip_lc(self.emb[rc_ids])], 1)  # RCPSEmbedding
        res = torch.zeros_like(h)
        for layer in self.layers:
            res_fwd = h[:, d:] + res[:, d:]  # the literal fused path: the second half first
            res_rc = flip_lc(h[:, :d]) + flip_lc(res[:, :d])
            hn = torch.cat([self.rms(res_fwd, layer["norm"]), flip_lc(self.rms(res_rc, layer["norm"]))], 1)
            res = torch.cat([res_fwd, flip_lc(res_rc)], 1)
            h = torch.cat([self.bimamba(layer, hn[:, :d]), flip_lc(self.bimamba(layer, flip_lc(hn[:, d:])))], 1)
        out_fwd = self.rms(h[:, :d] + res[:, :d], self.norm_f)
        out_rc = self.rms(flip_lc(h[:, d:]) + flip_lc(res[:, d:]), self.norm_f)
        return torch.cat([out_fwd, flip_lc(out_rc)], 1)

    def logits(self, h):
        if not self.rcps:
            return h @ self.emb.T
        d = self.D
        return h[:, :d] @ self.emb.T + h[:, d:].flip(1) @ self.emb[self.comp.to(h.device)].T  # RCPSLMHead


def mask_for_mlm(ids, prob=0.15, generator=None, mask_id=3):
    """The official recipe on A/C/G/T (ids 7..10): returns (input, targets with -100 where not
    chosen), for F.cross_entropy(..., ignore_index=-100)."""
    bases = (ids >= 7) & (ids <= 10)
    chosen = (torch.rand(ids.shape, generator=generator, device=ids.device) < prob) & bases
    how = torch.rand(ids.shape, generator=generator, device=ids.device)
    random_base = torch.randint(7, 11, ids.shape, generator=generator, device=ids.device)
    inp = torch.where(chosen & (how < 0.8), torch.full_like(ids, mask_id), ids)
    inp = torch.where(chosen & (how >= 0.8) & (how < 0.9), random_base, inp)
    return inp, torch.where(chosen, ids, torch.full_like(ids, -100))


