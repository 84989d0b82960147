// Caduceus forward with saved activations (the same arithmetic as CaduceusModel::forward) and
// its reverse sweep. The flips over length (L) and over length and channels (LC) are
// permutations, so their backward is the same flip of the gradient; "add" and "ew_multiply"
// combine the two directions of a BiMamba; with weight tying the reverse Mamba's in/out
// projection gradients go to the forward Mamba's keys.
#include "train/caduceus_grad.h"

#include <vector>

#include "dnassm/error.h"

#include "model/window_activations.h"

namespace dnassm {

namespace {

constexpr Flip kRc = Flip::kLengthAndChannels;

Tensor rms(const WindowActivations& acts, const Tensor& x, const Tensor& w, float eps) {
    Tensor y = acts.make(x.dim(1));
    acts.backend().norm(rms_args(x, w, eps, y));
    return y;
}

BiMambaActs bimamba_tape(const CaduceusConfig& c,
                         const CaduceusLayer& l,
                         const Tensor& hn,
                         const WindowActivations& acts) {
    Backend& be = acts.backend();
    const std::int64_t D = hn.dim(1);
    BiMambaActs a{hn, acts.part(hn, 0, D, Flip::kLength), {}, {}, {}};
    a.fwd = mamba_mixer_tape(c.mamba, l.fwd, a.hn, be);
    a.rev = mamba_mixer_tape(c.mamba, l.rev, a.hr, be);
    a.out = acts.part(a.rev.out, 0, D, Flip::kLength);
    if (c.multiply)
        be.mul_inplace(a.out.f32(), a.fwd.out.f32(), a.out.numel());
    else
        acts.add(a.out, a.fwd.out);
    return a;
}

// dout {L, D} -> adds d/dhn into dhn.
void bimamba_backward(const CaduceusModel& model,
                      std::int64_t layer,
                      const BiMambaActs& a,
                      const Tensor& dout,
                      const Tensor& dhn,
                      const GradSink& grad,
                      const WindowActivations& acts) {
    Backend& be = acts.backend();
    const CaduceusConfig& c = model.config();
    const CaduceusLayer& l = model.layer(layer);
    const std::int64_t D = dout.dim(1);
    // d/d fwd.out and d/d flip_L(rev.out).
    const Tensor dfwd = acts.clone(dout), drev_flipped = acts.clone(dout);
    if (c.multiply) {
        be.mul_inplace(dfwd.f32(), acts.part(a.rev.out, 0, D, Flip::kLength).f32(), dout.numel());
        be.mul_inplace(drev_flipped.f32(), a.fwd.out.f32(), dout.numel());
    }
    const Tensor drev = acts.part(drev_flipped, 0, D, Flip::kLength);
    const std::string fq = model.mixer_prefix(layer, false), rq = model.mixer_prefix(layer, true);
    const GradSink rev_sink = [&](const std::string& name, const Tensor& like) -> float* {
        // Tied projections: the reverse Mamba's in/out projections are the forward one's.
        const std::string key = name.substr(rq.size());
        const bool tied =
            c.weight_tie && (key.rfind("in_proj.", 0) == 0 || key.rfind("out_proj.", 0) == 0);
        return grad(tied ? fq + key : name, like);
    };
    mamba_mixer_backward(c.mamba, l.fwd, a.fwd, dfwd.f32(), dhn.f32(), fq, grad, be);
    const Tensor dhr = acts.zeros(D);
    mamba_mixer_backward(c.mamba, l.rev, a.rev, drev.f32(), dhr.f32(), rq, rev_sink, be);
    acts.add(dhn, acts.part(dhr, 0, D, Flip::kLength));
}

}  // namespace

CaduceusTape caduceus_forward_tape(const CaduceusModel& model,
                                   std::span<const std::int32_t> ids,
                                   Backend& be,
                                   bool recompute) {
    const CaduceusConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.mamba.d_model;
    const float eps = c.mamba.norm_eps;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    const WindowActivations acts(be, L);
    be.keep_weights(model.op_weights());
    CaduceusTape tape;
    tape.backend = &be;
    tape.recompute = recompute;
    const Tensor tokens = model.embed(ids);
    const std::int64_t W = tokens.dim(1);
    Tensor h = acts.upload(tokens.f32(), W), res = acts.zeros(W);
    for (std::int64_t i = 0; i < c.mamba.n_layer; ++i) {
        const CaduceusLayer& l = model.layer(i);
        CaduceusLayerActs a;
        if (!c.rcps) {
            a.res = acts.sum(h, res);
            a.bi = bimamba_tape(c, l, rms(acts, a.res, l.norm_w, eps), acts);
            res = a.res;
            h = a.bi.out;
        } else {
            a.res = acts.sum(acts.part(h, D, D), acts.part(res, D, D));  // res_fwd
            const Tensor first = acts.sum(acts.part(h, 0, D), acts.part(res, 0, D));
            a.res_rc = acts.part(first, 0, D, kRc);
            a.bi = bimamba_tape(c, l, rms(acts, a.res, l.norm_w, eps), acts);
            a.bi_rc = bimamba_tape(c, l, rms(acts, a.res_rc, l.norm_w, eps), acts);
            res = acts.make(W);
            acts.copy(a.res, 0, res, 0, D);
            acts.copy(first, 0, res, D, D);
            h = acts.make(W);
            acts.copy(a.bi.out, 0, h, 0, D);
            acts.copy(a.bi_rc.out, 0, h, D, D, kRc);
        }
        if (recompute) a.bi = a.bi_rc = {};  // h holds the output; backward recomputes the rest
        tape.layers.push_back(std::move(a));
    }
    tape.sum = acts.sum(h, res);
    if (!c.rcps) {
        tape.hidden = rms(acts, tape.sum, model.norm_f_weight(), eps);
    } else {
        tape.hidden = acts.make(W);
        acts.copy(rms(acts, acts.part(tape.sum, 0, D), model.norm_f_weight(), eps), 0, tape.hidden,
                  0, D);
        acts.copy(rms(acts, acts.part(tape.sum, D, D, kRc), model.norm_f_weight(), eps), 0,
                  tape.hidden, D, D, kRc);
    }
    return tape;
}

void caduceus_backward(const CaduceusModel& model,
                       const CaduceusTape& tape,
                       std::span<const std::int32_t> ids,
                       const float* dhidden,
                       std::map<std::string, Tensor>& grads) {
    const CaduceusConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.mamba.d_model,
                       W = tape.sum.dim(1);
    const float eps = c.mamba.norm_eps;
    Backend& be = *tape.backend;
    const WindowActivations acts(be, L);
    const GradSink grad = grad_sink(grads, be);
    auto rms_back = [&](const Tensor& x, const Tensor& w, const std::string& name,
                        const Tensor& dy) {
        Tensor dx = acts.zeros(x.dim(1));
        be.norm_backward(rms_args(x, w, eps, {}), dy.f32(), dx.f32(), grad(name, w), nullptr);
        return dx;
    };
    // g = d/dh = d/dres entering each block from above (both feed the next add).
    const Tensor dh_in = acts.upload(dhidden, W);
    Tensor g;
    if (!c.rcps) {
        g = rms_back(tape.sum, model.norm_f_weight(), "norm_f.weight", dh_in);
    } else {
        g = acts.make(W);
        acts.copy(rms_back(acts.part(tape.sum, 0, D), model.norm_f_weight(), "norm_f.weight",
                           acts.part(dh_in, 0, D)),
                  0, g, 0, D);
        acts.copy(rms_back(acts.part(tape.sum, D, D, kRc), model.norm_f_weight(), "norm_f.weight",
                           acts.part(dh_in, D, D, kRc)),
                  0, g, D, D, kRc);
    }
    for (std::int64_t i = c.mamba.n_layer - 1; i >= 0; --i) {
        const CaduceusLayer& l = model.layer(i);
        const CaduceusLayerActs& a = tape.layers[static_cast<size_t>(i)];
        const std::string norm = "layers." + std::to_string(i) + ".norm.weight";
        // The layer's BiMamba activations: kept by the forward, or recomputed now.
        BiMambaActs again, again_rc;
        if (tape.recompute) {
            again = bimamba_tape(c, l, rms(acts, a.res, l.norm_w, eps), acts);
            if (c.rcps) again_rc = bimamba_tape(c, l, rms(acts, a.res_rc, l.norm_w, eps), acts);
        }
        const BiMambaActs& bi = tape.recompute ? again : a.bi;
        const BiMambaActs& bi_rc = tape.recompute ? again_rc : a.bi_rc;
        if (!c.rcps) {
            const Tensor dhn = acts.zeros(D);
            bimamba_backward(model, i, bi, g, dhn, grad, acts);
            acts.add(g, rms_back(a.res, l.norm_w, norm, dhn));
        } else {
            const Tensor dhs = acts.zeros(D), dhs_rc = acts.zeros(D);
            bimamba_backward(model, i, bi, acts.part(g, 0, D), dhs, grad, acts);
            bimamba_backward(model, i, bi_rc, acts.part(g, D, D, kRc), dhs_rc, grad, acts);
            const Tensor d_res_fwd =
                acts.sum(acts.part(g, 0, D), rms_back(a.res, l.norm_w, norm, dhs));
            const Tensor d_first =
                acts.sum(acts.part(g, D, D),
                         acts.part(rms_back(a.res_rc, l.norm_w, norm, dhs_rc), 0, D, kRc));
            g = acts.make(W);
            acts.copy(d_first, 0, g, 0, D);
            acts.copy(d_res_fwd, 0, g, D, D);
        }
    }
    // Embedding: Ph rows E[id]; PS also the reverse half, channel-reversed E[comp(id)].
    float* demb = grad(model.embedding_name(), model.embedding());
    const std::int64_t V = model.embedding().dim(0);
    be.embedding_backward({.L = L, .V = V, .D = D, .ids = ids.data()}, g.f32(), W, demb);
    if (c.rcps) {
        std::vector<std::int32_t> comp(ids.size());
        for (size_t t = 0; t < ids.size(); ++t) comp[t] = c.complement[static_cast<size_t>(ids[t])];
        // The reverse half with its channels in the embedding's order.
        const Tensor rev = acts.part(g, D, D, Flip::kChannels);
        be.embedding_backward({.L = L, .V = V, .D = D, .ids = comp.data()}, rev.f32(), D, demb);
    }
}

void caduceus_head_backward(const CaduceusModel& model,
                            Backend& be,
                            const Tensor& hidden,
                            const float* dlogits,
                            float* dhidden,
                            const GradSink& grad) {
    const CaduceusConfig& c = model.config();
    const std::int64_t D = c.mamba.d_model, V = c.mamba.vocab_size;
    const LinearArgs fwd{.M = hidden.dim(0),
                         .K = D,
                         .N = V,
                         .x = hidden.f32(),
                         .ld_x = hidden.dim(1),
                         .weight = model.embedding().f32(),
                         .ld_y = V};
    float* demb = grad(model.embedding_name(), model.embedding());
    be.linear_backward(fwd, dlogits, dhidden, demb, nullptr);
    if (!c.rcps) return;
    // rc_head[v, k] = E[comp(v), D−1−k]: its gradient, channel-flipped, goes to row comp(v).
    LinearArgs rc = fwd;
    rc.x = hidden.f32() + D;
    rc.weight = model.rc_head().f32();
    const WindowActivations rows(be, V);
    const Tensor drc = rows.zeros(D);
    be.linear_backward(rc, dlogits, dhidden + D, drc.f32(), nullptr);
    be.embedding_backward({.L = V, .V = V, .D = D, .ids = c.complement.data()},
                          rows.part(drc, 0, D, Flip::kChannels).f32(), D, demb);
}

}  // namespace dnassm
