#!/usr/bin/python3
"""Parity of dnassm with the independent PyTorch references (mamba_torch.py, hyena_torch.py,
caduceus_torch.py):
1. each reference reproduces the official golden files (so it is trustworthy);
2. dnassm embed equals the reference on real lambda DNA: the bundled dnassm-format model, in one
   pass and streamed in chunks; a dnassm-format HyenaDNA; Caduceus models dnassm pretrained and
   saved;
3. dnassm predict's masked-LM tracks (loglik, entropy; --rc) equal each base's masked marginal
   computed here on the Caduceus reference;
4. dnassm score's llr and embedding distances equal the reference's for SNVs, substitutions of
   several bases, insertions and deletions, causal (Mamba) and masked (Caduceus PS and Ph) LMs,
   with and without --rc.
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
    from caduceus_torch import TorchCaduceus, mask_for_mlm
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

    def test_masked_marginal_tracks(self):
        seq = read_fasta_region(os.path.join(ROOT, "data", "lambda", "lambda_virus.fa.gz"), 30000, 30050)
        with tempfile.TemporaryDirectory() as tmp:
            fa = os.path.join(tmp, "s.fa")
            with open(fa, "w") as f:
                f.write(">s\n" + seq + "\n")
            for model, rc in ((os.path.join(ROOT, "data", "models", "dnassm-caduceus-small"), False),
                              (os.path.join(ROOT, "tests", "data", "golden", "caduceus_ph_L1024_B1"), True)):
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


if __name__ == "__main__":
    DNASSM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
