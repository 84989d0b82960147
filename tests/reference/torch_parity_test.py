#!/usr/bin/python3
"""Parity of dnassm with the independent PyTorch references (mamba_torch.py, hyena_torch.py,
caduceus_torch.py):
1. each reference reproduces the official golden files (so it is trustworthy);
2. dnassm embed equals the reference on real lambda DNA: the bundled dnassm-format model, in one
   pass and streamed in chunks; a dnassm-format HyenaDNA; Caduceus models dnassm pretrained and
   saved;
3. dnassm predict's masked-LM tracks (loglik, entropy; --rc) equal each base's masked marginal
   computed here on the Caduceus reference;
4. dnassm pretrain's weights after a few AdamW steps equal PyTorch autograd and torch.optim.AdamW
   training the reference model on the same windows (the sampler replayed here from its seed);
5. dnassm score's llr and embedding distances equal the reference's for SNVs, substitutions of
   several bases, insertions and deletions, causal (Mamba) and masked (Caduceus PS and Ph) LMs,
   with and without --rc.
Usage: torch_parity_test.py DNASSM_BINARY"""
import json
import math
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
    from caduceus_torch import TorchCaduceus, mask_for_mlm
    from hyena_torch import TorchHyena
    from mamba_torch import TorchMamba, read_fasta_region, read_safetensors, tokenize

    torch.set_num_threads(1)  # small models: more threads only spin (ctest runs tests side by side)
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


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class TorchCaduceusReference(unittest.TestCase):
    def test_reference_matches_golden(self):
        for case in ("caduceus_ph_L1024_B1", "caduceus_ps_L1024_B1"):
            d = os.path.join(ROOT, "tests", "data", "golden", case)
            m = TorchCaduceus(d)
            with torch.no_grad():
                h = m.hidden(torch.from_numpy(np.load(os.path.join(d, "input_ids.npy"))[0]).long())
                logits = m.logits(h)
            self.assertLess(rel(h.numpy(), np.load(os.path.join(d, "hidden.npy"))[0]), 1e-5, case)
            self.assertLess(rel(logits.numpy(), np.load(os.path.join(d, "logits.npy"))[0]), 1e-5, case)

    def test_masking_recipe(self):
        ids = torch.randint(7, 12, (100000,), generator=torch.Generator().manual_seed(1))
        inp, tgt = mask_for_mlm(ids, generator=torch.Generator().manual_seed(2))
        chosen = tgt != -100
        bases = (ids >= 7) & (ids <= 10)
        self.assertFalse(bool((chosen & ~bases).any()))
        self.assertAlmostEqual(float(chosen.sum() / bases.sum()), 0.15, delta=0.01)
        self.assertAlmostEqual(float((inp[chosen] == 3).float().mean()), 0.8, delta=0.02)
        self.assertTrue(bool((inp[~chosen] == ids[~chosen]).all()))

    def test_dnassm_pretrained_caduceus_matches_reference(self):
        """Caduceus PS and Ph that dnassm pretrained (masked LM) and saved in the released layout:
        the reference reads them and computes dnassm's embeddings and masked-LM logits."""
        fasta = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
        ids = tokenize(read_fasta_region(fasta, 10000, 12000))
        with tempfile.TemporaryDirectory() as tmp:
            for variant in ([], ["--ph"]):
                init, out = os.path.join(tmp, "init"), os.path.join(tmp, "out" + "".join(variant))
                subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_caduceus.py"), init,
                                *variant, "32", "2"], check=True)
                subprocess.run([DNASSM, "pretrain", "-m", init, "-o", out, "--fasta", fasta, "--window", "256",
                                "--batch", "2", "--steps", "4", "--warmup", "1", "--lr", "3e-3", "--val-bases", "500",
                                "--progress", "none"], check=True)
                with torch.no_grad():
                    ref = TorchCaduceus(out).hidden(ids).numpy()
                emb = os.path.join(tmp, "e.npy")
                subprocess.run([DNASSM, "embed", "-m", out, "-r", "NC_001416.1:10001-12000", "-o", emb, fasta],
                               check=True)
                self.assertLess(rel(np.load(emb), ref), 1e-4, variant)
                with torch.no_grad():
                    self.assertGreater(rel(TorchCaduceus(init).hidden(ids).numpy(), ref), 1e-3)  # it trained


COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class MaskedTrackReference(unittest.TestCase):
    """predict on a masked LM: base t's value comes from the window of --mlm-context bases on each
    side of it (clipped at the sequence's ends) with base t masked: ln p(base) over ACGT, and the
    entropy of that distribution; --rc averages with the same on the reverse complement."""
    C = 12

    def reference(self, m, seq):
        ll, ent = [], []
        for t in range(len(seq)):
            b, e = max(0, t - self.C), min(len(seq), t + self.C + 1)
            ids = tokenize(seq[b:e])
            ids[t - b] = 3  # [MASK]
            with torch.no_grad():
                lp = acgt_log_probs(m.logits(m.hidden(ids)))[t - b]
            ll.append(float(lp["ACGT".index(seq[t])]))
            ent.append(float(-(lp.exp() * lp).sum()))
        return np.array(ll), np.array(ent)

    # The bundled PS model (RC-equivariant: --rc changes nothing) and a Ph one, with --rc.
    MODELS = ((os.path.join(ROOT, "data", "models", "dnassm-caduceus-small"), False),
              (os.path.join(ROOT, "tests", "data", "golden", "caduceus_ph_L1024_B1"), True))

    @staticmethod
    def lambda_fasta(tmp, beg, end):
        """Lambda's bases [beg, end) as the FASTA record 's', and the bases."""
        seq = read_fasta_region(os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz"), beg, end)
        fa = os.path.join(tmp, "s.fa")
        with open(fa, "w") as f:
            f.write(">s\n" + seq + "\n")
        return fa, seq

    def test_masked_marginal_tracks(self):
        with tempfile.TemporaryDirectory() as tmp:
            fa, seq = self.lambda_fasta(tmp, 30000, 30050)
            for model, rc in self.MODELS:
                m = TorchCaduceus(model)
                want_ll, want_ent = self.reference(m, seq)
                if rc:
                    rc_ll, rc_ent = self.reference(m, reverse_complement(seq))
                    want_ll, want_ent = 0.5 * (want_ll + rc_ll[::-1]), 0.5 * (want_ent + rc_ent[::-1])
                for track, want in (("loglik", want_ll), ("entropy", want_ent)):
                    out = os.path.join(tmp, track + ".bedgraph")
                    subprocess.run([DNASSM, "predict", "-m", model, "--mlm-context", str(self.C), "--track", track,
                                    *(["--rc"] if rc else []), "--no-provenance", "-o", out, fa], check=True)
                    got = np.zeros(len(seq))
                    with open(out) as f:
                        for line in f:
                            _, beg, end, v = line.split()
                            got[int(beg):int(end)] = float(v)
                    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5,
                                               err_msg=f"{os.path.basename(model)} {track} rc={rc}")

    K = 4
    CORE = 8 * C  # masked_core_bases

    def spaced_reference(self, m, seq, lo, hi, targets):
        """--mlm-spacing K on seq[lo:hi] (a run of a region with its context, on a contig that is
        seq): base t is predicted in the window of its core (multiples of CORE on the contig) and C
        bases either side, clipped to [lo, hi), with every base at a position ≡ t (mod K) masked."""
        ll, passes = [], {}
        for t in targets:
            k = t // self.CORE
            b, e = max(lo, k * self.CORE - self.C), min(hi, (k + 1) * self.CORE + self.C)
            key = (b, e, t % self.K)
            if key not in passes:
                ids = tokenize(seq[b:e])
                ids[[p - b for p in range(b, e) if p % self.K == t % self.K]] = 3
                with torch.no_grad():
                    passes[key] = (b, acgt_log_probs(m.logits(m.hidden(ids))))
            b, lp = passes[key]
            ll.append(float(lp[t - b, "ACGT".index(seq[t])]))
        return np.array(ll)

    def test_spaced_masked_marginals(self):
        """--mlm-spacing: cores and masks placed on the contig, so a region read with --context
        is computed on the same windows as far as its context reaches."""
        with tempfile.TemporaryDirectory() as tmp:
            fa, seq = self.lambda_fasta(tmp, 30000, 30300)
            n = len(seq)
            for model, rc in self.MODELS:
                m = TorchCaduceus(model)
                for region, context in (([], 0), (["s:101-220"], 30)):
                    beg, end = (100, 220) if region else (0, n)
                    lo, hi = max(0, beg - context), min(n, end + context)
                    want = self.spaced_reference(m, seq, lo, hi, range(beg, end))
                    if rc:
                        back = self.spaced_reference(m, reverse_complement(seq), n - hi, n - lo,
                                                     range(n - end, n - beg))
                        want = 0.5 * (want + back[::-1])
                    out = os.path.join(tmp, "s.bedgraph")
                    subprocess.run([DNASSM, "predict", "-m", model, "--mlm-context", str(self.C), "--mlm-spacing",
                                    str(self.K), "--context", str(context), *(["--rc"] if rc else []),
                                    "--no-provenance", "-o", out, fa, *region], check=True)
                    got = np.full(n, np.nan)
                    with open(out) as f:
                        for line in f:
                            _, b, e, v = line.split()
                            got[int(b):int(e)] = float(v)
                    np.testing.assert_allclose(got[beg:end], want, rtol=1e-4, atol=1e-5,
                                               err_msg=f"{os.path.basename(model)} {region} rc={rc}")


def reverse_complement(seq):
    return seq.translate(COMPLEMENT)[::-1]


def acgt_log_probs(logits):
    """{L, V} logits -> {L, 4} ln p over A, C, G, T (renormalised over the four, as dnassm)."""
    return torch.log_softmax(logits[:, 7:11].double(), -1)


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class VariantScoreReference(unittest.TestCase):
    """dnassm score against the definitions computed here on the reference models: REF and ALT
    windows of --score-window bases centred on the variant; llr for a causal LM is Σ ln p(next
    base) over the ALT window − over the REF window; for a masked LM Σ ln p(base) over the bases
    where the windows differ, all masked at once, ALT window − REF window; emb_l2 and emb_cos
    compare the windows' mean hidden states; --rc averages with the reverse-complement windows."""
    W = 96
    FASTA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")

    def variants(self, seq):
        swap = {"A": "C", "C": "G", "G": "T", "T": "A"}
        run = next(i for i in range(9000, 20000) if seq[i:i + 4] == seq[i] * 4)  # a homopolymer
        return [(20, seq[19], swap[seq[19]]),                                   # window clipped at the start
                (5000, seq[4999], swap[seq[4999]]),                             # SNV
                (6000, seq[5999:6002], "".join(swap[b] for b in seq[5999:6002])),  # 3 bases substituted
                (7000, seq[6999:7004], seq[6999]),                              # deletion of 4
                (8000, seq[7999], seq[7999] + "GAT"),                           # insertion of 3
                (run, seq[run - 1], seq[run - 1] + seq[run])]                   # insertion into a repeat

    def windows(self, seq, pos, ref, alt):
        pos0 = pos - 1
        beg = max(0, pos0 - self.W // 2)
        ref_win = seq[beg:min(len(seq), beg + self.W)]
        off = pos0 - beg
        return ref_win, ref_win[:off] + alt + ref_win[off + len(ref):]

    @staticmethod
    def causal_window(m, win):
        ids = tokenize(win)
        with torch.no_grad():
            h, _ = m.forward(ids)
            lp = acgt_log_probs(h @ m.lm_head.T)
        ll = sum(float(lp[t, "ACGT".index(win[t + 1])]) for t in range(len(win) - 1) if win[t + 1] in "ACGT")
        return ll, h.double().mean(0)

    @staticmethod
    def shared_ends(ref_win, alt_win):
        """How many bases the windows share at their start, then at their end."""
        n, b, e = min(len(ref_win), len(alt_win)), 0, 0
        while b < n and ref_win[b] == alt_win[b]:
            b += 1
        while e < n - b and ref_win[-1 - e] == alt_win[-1 - e]:
            e += 1
        return b, e

    @staticmethod
    def masked_llr(m, ref_win, alt_win, b, e):
        def span_ll(win):
            length = len(win) - b - e
            if length == 0:
                return 0.0
            ids = tokenize(win)
            ids[b:b + length] = 3  # [MASK]
            with torch.no_grad():
                lp = acgt_log_probs(m.logits(m.hidden(ids)))
            return sum(float(lp[b + i, "ACGT".index(win[b + i])]) for i in range(length) if win[b + i] in "ACGT")

        return span_ll(alt_win) - span_ll(ref_win)

    def scores(self, m, causal, ref_win, alt_win, ends):
        if causal:
            (ll_ref, mr), (ll_alt, ma) = self.causal_window(m, ref_win), self.causal_window(m, alt_win)
            llr = ll_alt - ll_ref
        else:
            with torch.no_grad():
                mr, ma = (m.hidden(tokenize(w)).double().mean(0) for w in (ref_win, alt_win))
            llr = self.masked_llr(m, ref_win, alt_win, *ends)
        cos = 1 - float(mr @ ma) / float(mr.norm() * ma.norm())
        return np.array([llr, float((mr - ma).norm()), cos])

    def check(self, model_dir, m, causal, rc):
        seq = read_fasta_region(self.FASTA, 0, None)
        variants = self.variants(seq)
        args = [a for pos, ref, alt in variants for a in ("--variant", f"NC_001416.1:{pos}:{ref}>{alt}")]
        out = subprocess.run([DNASSM, "score", "-m", model_dir, "--score-window", str(self.W), "-o", "-",
                              *(["--rc"] if rc else []), *args, self.FASTA],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        self.assertEqual(out[0].split("\t"), ["CHROM", "POS", "REF", "ALT", "llr", "emb_l2", "emb_cos"])
        self.assertEqual(len(out), 1 + len(variants))
        for (pos, ref, alt), line in zip(variants, out[1:]):
            f = line.split("\t")
            self.assertEqual(f[:4], ["NC_001416.1", str(pos), ref, alt])
            ref_win, alt_win = self.windows(seq, pos, ref, alt)
            b, e = self.shared_ends(ref_win, alt_win)
            want = self.scores(m, causal, ref_win, alt_win, (b, e))
            if rc:  # the same bases masked on the other strand (an indel in a repeat is not moved)
                want = 0.5 * (want + self.scores(m, causal, reverse_complement(ref_win),
                                                 reverse_complement(alt_win), (e, b)))
            got = np.array([float(x) for x in f[4:]])
            what = f"{os.path.basename(model_dir)} {'--rc ' if rc else ''}{pos} {ref}>{alt}: {got} vs {want}"
            self.assertLess(abs(got[0] - want[0]), 1e-4 + 1e-5 * abs(want[0]), what)
            np.testing.assert_allclose(got[1:], want[1:], rtol=1e-4, atol=1e-8, err_msg=what)

    def test_causal_lm(self):
        model = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
        m = TorchMamba(model)
        for rc in (False, True):
            self.check(model, m, True, rc)

    def test_masked_lm(self):
        for model, rcs in ((os.path.join(ROOT, "data", "models", "dnassm-caduceus-small"), (False,)),
                           (os.path.join(ROOT, "tests", "data", "golden", "caduceus_ph_L1024_B1"), (False, True))):
            m = TorchCaduceus(model)
            for rc in rcs:
                self.check(model, m, False, rc)


MASK64 = (1 << 64) - 1


def splitmix64(z):
    """train/splitmix.h: what pretrain draws is a pure function of (seed, step)."""
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


@unittest.skipIf(torch is None, "skipped: python3-torch not installed (./setup.sh installs it)")
class PretrainReference(unittest.TestCase):
    """A few steps of dnassm pretrain against PyTorch training the reference model: the same windows
    (pretrain's sampler replayed from its seed: a contig's first 90 %, either strand; a masked LM's
    masks too), the mean cross-entropy per window (next base, or masked bases), gradients summed
    over the batch and their mean clipped to norm 1, torch.optim.AdamW (decoupled decay on matrices
    but A_log, norms and HyenaDNA's implicit filter) with pretrain's learning rate (linear warmup,
    then cosine to a tenth). The logged losses and gradient norms must agree step by step, and the
    weights to well within the steps' own size."""
    FASTA = os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz")
    WINDOW, BATCH, STEPS, WARMUP, LR, SEED = 64, 2, 3, 1, 3e-3, 5

    def windows(self, ids, step):
        """The step's windows and, for each, the draw its strand and masks come from."""
        train_len = int(len(ids) * (1.0 - 0.1))
        out = []
        for b in range(self.BATCH):
            r = splitmix64((self.SEED * 0x100000001B3 + step * self.BATCH + b) & MASK64)
            beg = splitmix64(r) % (train_len - self.WINDOW)  # one contig: the pick is always it
            w = ids[beg:beg + self.WINDOW].clone()
            if splitmix64(r + 1) & 1:
                w = torch.tensor([{7: 10, 8: 9, 9: 8, 10: 7}.get(int(t), int(t)) for t in w.flip(0)])
            out.append((w, r))
        return out

    @staticmethod
    def masked(ids, seed, prob=0.15):
        """train/masked_lm.cpp's mask_window: input and targets (-1 where not chosen)."""
        uniform = lambda z: (splitmix64(z) >> 11) * 2.0 ** -53
        inp, targets = ids.clone(), torch.full_like(ids, -1)
        for t, base in enumerate(ids.tolist()):
            if not 7 <= base <= 10:
                continue
            key = splitmix64(seed ^ splitmix64(t))
            if uniform(key) >= prob:
                continue
            targets[t] = base
            how = uniform(key + 1)
            if how < 0.8:
                inp[t] = 3
            elif how < 0.9:
                inp[t] = 7 + splitmix64(key + 2) % 4
        return inp, targets

    def learning_rate(self, step):
        if step < self.WARMUP:
            return self.LR * (step + 1) / self.WARMUP
        p = min(1.0, (step - self.WARMUP) / max(1, self.STEPS - self.WARMUP))
        return 0.1 * self.LR + 0.9 * self.LR * 0.5 * (1 + math.cos(math.pi * p))

    def train(self, named, loss_of):
        """named: {safetensors name: leaf tensor}; loss_of(window ids, draw) -> mean loss."""
        for t in named.values():
            t.requires_grad_(True)
        decay = [t for n, t in named.items()
                 if t.dim() >= 2 and not n.endswith("A_log") and "norm" not in n and "filter_fn." not in n]
        rest = [t for t in named.values() if all(t is not d for d in decay)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                lr=self.LR, betas=(0.9, 0.95), eps=1e-8)
        ids = tokenize(read_fasta_region(self.FASTA, 0, None))
        log = []  # per step: the batch's mean loss, the norm of the mean gradient, the learning rate
        for step in range(self.STEPS):
            opt.zero_grad(set_to_none=True)
            loss = 0.0
            for w, r in self.windows(ids, step):
                window_loss = loss_of(w, r)
                window_loss.backward()
                loss += float(window_loss) / self.BATCH
            grads = [t.grad for t in named.values() if t.grad is not None]
            norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads)) / self.BATCH
            scale = (1.0 / (norm + 1e-12) if norm > 1.0 else 1.0) / self.BATCH
            for g in grads:
                g.mul_(scale)
            for group in opt.param_groups:
                group["lr"] = self.learning_rate(step)
            opt.step()
            log.append((loss, norm, self.learning_rate(step)))
        return log

    def check(self, model_dir, named, loss_of, buffers=None):
        """Trains `named` (the reference model's tensors by their safetensors names) with loss_of
        here and model_dir with dnassm pretrain, and compares what each logs and the weights.
        `buffers`: what else the saved model may hold (untrained), by name."""
        self.assertEqual(len({id(t) for t in named.values()}), len(named))  # each tensor once
        want_log = self.train(named, loss_of)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            subprocess.run([DNASSM, "pretrain", "-m", model_dir, "-o", out, "--fasta", self.FASTA,
                            "--window", str(self.WINDOW), "--batch", str(self.BATCH), "--steps", str(self.STEPS),
                            "--warmup", str(self.WARMUP), "--lr", str(self.LR), "--seed", str(self.SEED),
                            "--eval-every", "1", "--save-every", "1000", "--val-bases", "64", "-@", "1",
                            "--progress", "none"], check=True, capture_output=True)
            got = read_safetensors(os.path.join(out, "model.safetensors"))
            with open(os.path.join(out, "train_log.jsonl")) as f:
                got_log = [json.loads(line) for line in f]
        # The loss and the gradient's norm (which Adam's updates are blind to) step by step.
        self.assertEqual(len(got_log), self.STEPS)
        for k, (loss, norm, lr) in enumerate(want_log):
            self.assertAlmostEqual(got_log[k]["train_loss"], loss, delta=1e-5 * loss, msg=k)
            self.assertAlmostEqual(got_log[k]["grad_norm"], norm, delta=1e-4 * norm, msg=k)
            self.assertAlmostEqual(got_log[k]["lr"], lr, delta=1e-12, msg=k)
        # The weights, against the size of the steps taken. Adam divides each gradient by its own
        # size, so an element whose gradients are near eps (1e-8) moves by float rounding: one
        # tensor of a model may be off by a few 1e-3 of its step, the whole model far less.
        init = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        off = steps = worst = 0.0
        for name, t in named.items():
            step = float((t.detach().double() - init[name].double().reshape(t.shape)).norm())
            self.assertGreater(step, 0, name)  # every parameter trained
            diff = float((got[name].double().reshape(t.shape) - t.detach().double()).norm())
            off, steps, worst = off + diff, steps + step, max(worst, diff / step)
        for name in set(got) - set(named):  # what is not trained: as it was, or the model's buffers
            want = init[name] if name in init else buffers[name]
            np.testing.assert_allclose(got[name].reshape(want.shape), want, rtol=1e-6, atol=1e-7, err_msg=name)
        self.assertLess(worst, 2e-2)
        self.assertLess(off / steps, 1e-3)

    def test_mamba(self):
        model = os.path.join(ROOT, "data", "models", "dnassm-mamba-small")
        m = TorchMamba(model)
        keys = ("in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight",
                "dt_proj.bias", "A_log", "D", "out_proj.weight")
        named = {"embedding.weight": m.emb, "norm_f.weight": m.norm_f[0]}
        for i, layer in enumerate(m.layers):
            named[f"layers.{i}.norm.weight"] = layer["norm.weight"]
            named.update({f"layers.{i}.mixer.{k}": layer[k] for k in keys})
        m.scan = "chunked"

        def loss_of(ids, _):
            x = m.emb[ids]
            for layer, state in zip(m.layers, m.new_state()):
                x = x + m.mixer(layer, m.norm(x, layer["norm.weight"], layer["norm.bias"]), state)[0]
            logits = m.norm(x, *m.norm_f) @ m.lm_head.T
            return torch.nn.functional.cross_entropy(logits[:-1], ids[1:])

        self.check(model, named, loss_of)

    def test_caduceus_masked_lm(self):
        model = os.path.join(ROOT, "data", "models", "dnassm-caduceus-small")
        m = TorchCaduceus(model)
        m.mamba.scan_chunk = 16
        self.assertTrue(m.rcps)
        keys = ("in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight",
                "dt_proj.bias", "A_log", "D", "out_proj.weight")
        named = {"embeddings.word_embeddings.embedding.weight": m.emb, "norm_f.weight": m.norm_f}
        for i, layer in enumerate(m.layers):
            p = f"layers.{i}.mixer.submodule."
            named[f"layers.{i}.norm.weight"] = layer["norm"]
            named.update({p + "mamba_fwd." + k: layer["fwd"][k] for k in keys})
            # The reverse direction's projections are the forward one's (weight tying): one tensor.
            named.update({p + "mamba_rev." + k: layer["rev"][k] for k in keys if "_proj.weight" not in k
                          or k.startswith(("x_", "dt_"))})
            self.assertIs(layer["rev"]["in_proj.weight"], layer["fwd"]["in_proj.weight"])

        def loss_of(ids, r):
            inp, targets = self.masked(ids, splitmix64(r + 2))
            logits = m.logits(m.hidden(inp))
            return torch.nn.functional.cross_entropy(logits, targets, ignore_index=-1)

        self.check(model, named, loss_of)

    def test_hyena(self):
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "hyena")
            subprocess.run([sys.executable, os.path.join(ROOT, "data", "models", "make_random_hyena.py"), model,
                            "--d-model", "32", "--n-layer", "2", "--l-max", "130"], check=True, capture_output=True)
            m = TorchHyena(model)
            f = "mixer.filter_fn."
            per_layer = ("norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "mixer.in_proj.weight",
                         "mixer.in_proj.bias", "mixer.short_filter.weight", "mixer.short_filter.bias",
                         "mixer.filter_fn.bias", "mixer.out_proj.weight", "mixer.out_proj.bias", "mlp.fc1.weight",
                         "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias")
            named = {"embeddings.word_embeddings.weight": m.emb, "ln_f.weight": m.ln_f[0], "ln_f.bias": m.ln_f[1]}
            for i, layer in enumerate(m.layers):
                p = f"layers.{i}."
                named.update({p + k: layer[k] for k in per_layer})
                named.update({p + f + "implicit_filter." + k[4:]: v for k, v in layer.items()
                              if k.startswith("mlp.") and k[4].isdigit()})  # the filter's MLP, not the block's
                named[p + f + "implicit_filter.1.freq"] = layer["freq"]
            forward = TorchHyena.forward.__wrapped__  # the same forward, without its no_grad

            def loss_of(ids, _):
                return torch.nn.functional.cross_entropy((forward(m, ids) @ m.lm_head.T)[:-1], ids[1:])

            # The saved model also holds each filter's modulation rates (not trained), as released.
            deltas = {f"layers.{i}.{f}modulation.deltas": layer["deltas"] for i, layer in enumerate(m.layers)}
            self.check(model, named, loss_of, deltas)


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
