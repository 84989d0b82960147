// Caduceus forward with saved activations (the same arithmetic as CaduceusModel::forward) and
// its reverse sweep. The flips over length (L) and over length and channels (LC) are
// permutations, so their backward is the same flip of the gradient; "add" and "ew_multiply"
// combine the two directions of a BiMamba; with weight tying the reverse Mamba's in/out
// projection gradients go to the forward Mamba's keys.
#include "train/caduceus_grad.h"

#include <algorithm>

#include "dnassm/error.h"

namespace dnassm {

namespace {

NormArgs rms_args(const Tensor& x, const Tensor& w, float eps, Tensor* y) {
    return {.kind = NormKind::kRms,
            .rows = x.dim(0),
            .D = x.dim(1),
            .x = x.f32(),
            .weight = w.f32(),
            .eps = eps,
            .y = y ? y->f32() : nullptr};
}

Tensor rms(const Tensor& x, const Tensor& w, float eps, Backend& be) {
    Tensor y({x.dim(0), x.dim(1)});
    be.norm(rms_args(x, w, eps, &y));
    return y;
}

BiMambaActs bimamba_tape(const CaduceusConfig& c,
                         const CaduceusLayer& l,
                         const Tensor& hn,
                         Backend& be) {
    BiMambaActs a{hn, flipped_l(hn), {}, {}, {}};
    a.fwd = mamba_mixer_tape(c.mamba, l.fwd, a.hn, be);
    a.rev = mamba_mixer_tape(c.mamba, l.rev, a.hr, be);
    a.out = flipped_l(a.rev.out);
    for (std::int64_t i = 0; i < a.out.numel(); ++i)
        a.out.f32()[i] =
            c.multiply ? a.fwd.out.f32()[i] * a.out.f32()[i] : a.fwd.out.f32()[i] + a.out.f32()[i];
    return a;
}

// dout {L, D} -> adds d/dhn into dhn.
void bimamba_backward(const CaduceusModel& model,
                      std::int64_t layer,
                      const BiMambaActs& a,
                      const Tensor& dout,
                      Tensor& dhn,
                      const GradSink& grad,
                      Backend& be) {
    const CaduceusConfig& c = model.config();
    const CaduceusLayer& l = model.layer(layer);
    const std::int64_t n = dout.numel();
    Tensor dfwd = dout.clone(), drev_flipped = dout.clone();  // d/d fwd.out, d/d flip_L(rev.out)
    if (c.multiply) {
        const Tensor r = flipped_l(a.rev.out);
        for (std::int64_t i = 0; i < n; ++i) {
            dfwd.f32()[i] = dout.f32()[i] * r.f32()[i];
            drev_flipped.f32()[i] = dout.f32()[i] * a.fwd.out.f32()[i];
        }
    }
    const Tensor drev = flipped_l(drev_flipped);
    const std::string fq = model.mixer_prefix(layer, false), rq = model.mixer_prefix(layer, true);
    const GradSink rev_sink = [&](const std::string& name, const Tensor& like) -> float* {
        // Tied projections: the reverse Mamba's in/out projections are the forward one's.
        const std::string key = name.substr(rq.size());
        const bool tied =
            c.weight_tie && (key.rfind("in_proj.", 0) == 0 || key.rfind("out_proj.", 0) == 0);
        return grad(tied ? fq + key : name, like);
    };
    mamba_mixer_backward(c.mamba, l.fwd, a.fwd, dfwd.f32(), dhn.f32(), fq, grad, be);
    Tensor dhr({dout.dim(0), dout.dim(1)});
    mamba_mixer_backward(c.mamba, l.rev, a.rev, drev.f32(), dhr.f32(), rq, rev_sink, be);
    const Tensor back = flipped_l(dhr);
    for (std::int64_t i = 0; i < n; ++i) dhn.f32()[i] += back.f32()[i];
}

}  // namespace

CaduceusTape caduceus_forward_tape(const CaduceusModel& model,
                                   std::span<const std::int32_t> ids,
                                   Backend& be) {
    const CaduceusConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.mamba.d_model;
    const float eps = c.mamba.norm_eps;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    CaduceusTape tape;
    tape.backend = &be;
    Tensor h = model.embed(ids);
    const std::int64_t W = h.dim(1);
    Tensor res({L, W});
    for (std::int64_t i = 0; i < c.mamba.n_layer; ++i) {
        const CaduceusLayer& l = model.layer(i);
        CaduceusLayerActs a;
        if (!c.rcps) {
            a.res = sum_of(h, res);
            a.bi = bimamba_tape(c, l, rms(a.res, l.norm_w, eps, be), be);
            res = a.res;
            h = a.bi.out;
        } else {
            a.res = sum_of(columns(h, D, D), columns(res, D, D));  // res_fwd
            const Tensor first = sum_of(columns(h, 0, D), columns(res, 0, D));
            a.res_rc = flipped_lc(first);
            a.bi = bimamba_tape(c, l, rms(a.res, l.norm_w, eps, be), be);
            a.bi_rc = bimamba_tape(c, l, rms(a.res_rc, l.norm_w, eps, be), be);
            put_columns(res, 0, a.res);
            put_columns(res, D, first);
            put_columns(h, 0, a.bi.out);
            put_columns(h, D, flipped_lc(a.bi_rc.out));
        }
        tape.layers.push_back(std::move(a));
    }
    tape.sum = sum_of(h, res);
    if (!c.rcps) {
        tape.hidden = rms(tape.sum, model.norm_f_weight(), eps, be);
    } else {
        tape.hidden = Tensor({L, W});
        put_columns(tape.hidden, 0, rms(columns(tape.sum, 0, D), model.norm_f_weight(), eps, be));
        put_columns(
            tape.hidden, D,
            flipped_lc(rms(flipped_lc(columns(tape.sum, D, D)), model.norm_f_weight(), eps, be)));
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
    const GradSink grad = grad_sink(grads);
    auto rms_back = [&](const Tensor& x, const Tensor& w, const std::string& name,
                        const Tensor& dy) {
        Tensor dx({x.dim(0), x.dim(1)});
        be.norm_backward(rms_args(x, w, eps, nullptr), dy.f32(), dx.f32(), grad(name, w), nullptr);
        return dx;
    };
    // g = d/dh = d/dres entering each block from above (both feed the next add).
    Tensor dh_in({L, W});
    std::copy_n(dhidden, L * W, dh_in.f32());
    Tensor g;
    if (!c.rcps) {
        g = rms_back(tape.sum, model.norm_f_weight(), "norm_f.weight", dh_in);
    } else {
        g = Tensor({L, W});
        put_columns(g, 0,
                    rms_back(columns(tape.sum, 0, D), model.norm_f_weight(), "norm_f.weight",
                             columns(dh_in, 0, D)));
        put_columns(g, D,
                    flipped_lc(rms_back(flipped_lc(columns(tape.sum, D, D)), model.norm_f_weight(),
                                        "norm_f.weight", flipped_lc(columns(dh_in, D, D)))));
    }
    for (std::int64_t i = c.mamba.n_layer - 1; i >= 0; --i) {
        const CaduceusLayer& l = model.layer(i);
        const CaduceusLayerActs& a = tape.layers[static_cast<size_t>(i)];
        const std::string norm = "layers." + std::to_string(i) + ".norm.weight";
        if (!c.rcps) {
            Tensor dhn({L, D});
            bimamba_backward(model, i, a.bi, g, dhn, grad, be);
            const Tensor dres = rms_back(a.res, l.norm_w, norm, dhn);
            for (std::int64_t k = 0; k < g.numel(); ++k) g.f32()[k] += dres.f32()[k];
        } else {
            Tensor dhs({L, D}), dhs_rc({L, D});
            bimamba_backward(model, i, a.bi, columns(g, 0, D), dhs, grad, be);
            bimamba_backward(model, i, a.bi_rc, flipped_lc(columns(g, D, D)), dhs_rc, grad, be);
            Tensor d_res_fwd = sum_of(columns(g, 0, D), rms_back(a.res, l.norm_w, norm, dhs));
            Tensor d_first =
                sum_of(columns(g, D, D), flipped_lc(rms_back(a.res_rc, l.norm_w, norm, dhs_rc)));
            put_columns(g, 0, d_first);
            put_columns(g, D, d_res_fwd);
        }
    }
    // Embedding: Ph rows E[id]; PS also the reverse half, channel-reversed E[comp(id)].
    float* demb = grad(model.embedding_name(), model.embedding());
    const std::int64_t V = model.embedding().dim(0);
    be.embedding_backward({.L = L, .V = V, .D = D, .ids = ids.data()}, g.f32(), W, demb);
    if (c.rcps) {
        std::vector<std::int32_t> comp(ids.size());
        Tensor rev({L, D});  // the reverse half with its channels in the embedding's order
        for (std::int64_t t = 0; t < L; ++t) {
            comp[static_cast<size_t>(t)] =
                c.complement[static_cast<size_t>(ids[static_cast<size_t>(t)])];
            for (std::int64_t d = 0; d < D; ++d)
                rev.f32()[t * D + d] = g.f32()[t * W + D + D - 1 - d];
        }
        be.embedding_backward({.L = L, .V = V, .D = D, .ids = comp.data()}, rev.f32(), D, demb);
    }
}

}  // namespace dnassm
