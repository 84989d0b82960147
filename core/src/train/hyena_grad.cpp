// HyenaDNA forward with saved activations, then the reverse sweep through the final LayerNorm and
// every block: MLP (fc2, GELU, fc1, LN2), mixer (out_proj, long conv §6.4, the x1/v gate, short
// conv, in_proj, LN1), and the implicit filter (modulated projection, Sin MLP with its shared
// frequency). z, t and the modulation deltas are buffers, not trained.
#include "train/hyena_grad.h"

#include <vector>

#include "dnassm/error.h"

#include "model/window_activations.h"

namespace dnassm {

namespace {

LinearArgs linear_args(const Tensor& x, const Tensor& w, const Tensor& b, Tensor* y) {
    const std::int64_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
    return {.M = M,
            .K = K,
            .N = N,
            .x = x.f32(),
            .ld_x = K,
            .weight = w.f32(),
            .bias = b.empty() ? nullptr : b.f32(),
            .y = y ? y->f32() : nullptr,
            .ld_y = N};
}

NormArgs layer_norm_args(const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor* y) {
    return {.kind = NormKind::kLayer,
            .rows = x.dim(0),
            .D = x.dim(1),
            .x = x.f32(),
            .weight = w.f32(),
            .bias = b.f32(),
            .eps = eps,
            .y = y ? y->f32() : nullptr};
}

CausalConv1dArgs short_conv_args(const HyenaConfig& c,
                                 const HyenaLayer& l,
                                 const Tensor& p,
                                 Tensor* y) {
    return {.L = p.dim(0),
            .E = 3 * c.d_model,
            .W = c.short_filter,
            .x = p.f32(),
            .ld_x = 3 * c.d_model,
            .weight = l.short_w.f32(),
            .bias = l.short_b.f32(),
            .silu = false,
            .y = y ? y->f32() : nullptr,
            .ld_y = 3 * c.d_model};
}

HyenaConvArgs long_conv_args(const HyenaConfig& c,
                             const HyenaLayer& l,
                             const Tensor& x0,
                             const Tensor& w,
                             const Tensor& basis,
                             Tensor* y) {
    return hyena_conv_args(c, l, x0.dim(0), x0.f32(), w.f32(), basis.f32(), y ? y->f32() : nullptr);
}

// One block from its input; returns the activations, and the block's output in `out`.
HyenaLayerActs run_layer(
    const HyenaConfig& c, const HyenaLayer& l, const Tensor& x, Backend& be, Tensor& out) {
    const std::int64_t L = x.dim(0), D = c.d_model, E = c.d_inner;
    const WindowActivations acts(be, L);
    // Every activation is written in full by its op.
    HyenaLayerActs a{
        acts.clone(x), acts.make(D), acts.make(3 * D), acts.make(3 * D), acts.make(D), acts.make(D),
        acts.make(D),  acts.make(D), acts.make(E),     acts.make(E),     {},           {}};
    be.norm(layer_norm_args(a.x_in, l.norm1_w, l.norm1_b, c.norm_eps, &a.h1));
    be.linear(linear_args(a.h1, l.in_proj_w, l.in_proj_b, &a.p));
    be.causal_conv1d(short_conv_args(c, l, a.p, &a.u));
    const Tensor x0 = acts.make(D);
    be.hyena_gates(a.u.f32(), L, D, x0.f32(), a.w.f32());
    (void)hyena_filter_basis(be, c, l, L, &a.filter_pre, &a.filter_act);
    be.hyena_conv(long_conv_args(c, l, x0, a.w, a.filter_act.back(), &a.conv));
    be.linear(linear_args(a.conv, l.out_proj_w, l.out_proj_b, &a.x_mid));
    be.add_inplace(a.x_mid.f32(), a.x_in.f32(), L * D);
    be.norm(layer_norm_args(a.x_mid, l.norm2_w, l.norm2_b, c.norm_eps, &a.h2));
    be.linear(linear_args(a.h2, l.fc1_w, l.fc1_b, &a.m_pre));
    acts.copy(a.m_pre, 0, a.m, 0, E);
    be.gelu_tanh_inplace(a.m.f32(), L * E);
    out = acts.make(D);
    be.linear(linear_args(a.m, l.fc2_w, l.fc2_b, &out));
    be.add_inplace(out.f32(), a.x_mid.f32(), L * D);
    return a;
}

}  // namespace

HyenaTape hyena_forward_tape(const HyenaModel& model,
                             std::span<const std::int32_t> ids,
                             Backend& be,
                             bool recompute) {
    const HyenaConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.d_model;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    DNASSM_CHECK(L <= c.l_max, ErrorKind::kInput,
                 "training window of " + std::to_string(L) +
                     " bases is longer than the model's l_max " + std::to_string(c.l_max));
    be.keep_weights(model.op_weights());
    HyenaTape tape;
    tape.backend = &be;
    tape.recompute = recompute;
    const WindowActivations acts(be, L);
    Tensor x = acts.make(D);
    be.embedding({.L = L,
                  .V = c.vocab_size,
                  .D = D,
                  .ids = ids.data(),
                  .table = model.embedding().f32(),
                  .y = x.f32()});
    for (std::int64_t i = 0; i < c.n_layer; ++i) {
        Tensor next;
        HyenaLayerActs a = run_layer(c, model.layer(i), x, be, next);
        if (recompute)
            tape.inputs.push_back(std::move(a.x_in));
        else
            tape.layers.push_back(std::move(a));
        x = std::move(next);
    }
    tape.x = x;
    tape.hidden = acts.make(D);
    be.norm(
        layer_norm_args(tape.x, model.ln_f_weight(), model.ln_f_bias(), c.norm_eps, &tape.hidden));
    return tape;
}

void hyena_backward(const HyenaModel& model,
                    const HyenaTape& tape,
                    std::span<const std::int32_t> ids,
                    const float* dhidden,
                    std::map<std::string, Tensor>& grads) {
    Backend& be = *tape.backend;
    const HyenaConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.d_model, E = c.d_inner,
                       F = c.filter_order;
    const GradSink grad = grad_sink(grads, be);
    const WindowActivations acts(be, L);
    const Tensor dx = acts.zeros(D);
    be.norm_backward(
        layer_norm_args(tape.x, model.ln_f_weight(), model.ln_f_bias(), c.norm_eps, nullptr),
        dhidden, dx.f32(), grad("ln_f.weight", model.ln_f_weight()),
        grad("ln_f.bias", model.ln_f_bias()));
    for (std::int64_t i = c.n_layer - 1; i >= 0; --i) {
        const HyenaLayer& l = model.layer(i);
        HyenaLayerActs recomputed;
        if (tape.recompute) {
            Tensor unused;
            recomputed = run_layer(c, l, tape.inputs[static_cast<size_t>(i)], be, unused);
        }
        const HyenaLayerActs& a = tape.recompute ? recomputed : tape.layers[static_cast<size_t>(i)];
        const std::string p = "layers." + std::to_string(i) + ".", q = p + "mixer.",
                          fq = q + "filter_fn.implicit_filter.";
        // MLP: x_out = x_mid + fc2(gelu(fc1(LN2(x_mid)))).
        const Tensor dm = acts.zeros(E), dm_pre = acts.zeros(E), dh2 = acts.zeros(D);
        be.linear_backward(linear_args(a.m, l.fc2_w, l.fc2_b, nullptr), dx.f32(), dm.f32(),
                           grad(p + "mlp.fc2.weight", l.fc2_w), grad(p + "mlp.fc2.bias", l.fc2_b));
        be.gelu_tanh_backward(a.m_pre.f32(), dm.f32(), dm_pre.f32(), L * E);
        be.linear_backward(linear_args(a.h2, l.fc1_w, l.fc1_b, nullptr), dm_pre.f32(), dh2.f32(),
                           grad(p + "mlp.fc1.weight", l.fc1_w), grad(p + "mlp.fc1.bias", l.fc1_b));
        be.norm_backward(layer_norm_args(a.x_mid, l.norm2_w, l.norm2_b, c.norm_eps, nullptr),
                         dh2.f32(), dx.f32(), grad(p + "norm2.weight", l.norm2_w),
                         grad(p + "norm2.bias", l.norm2_b));
        // Mixer: x_mid = x_in + out_proj(HyenaConv(x0, v ⊙ x1)).
        const Tensor dconv = acts.zeros(D), dx0 = acts.zeros(D), dw = acts.zeros(D),
                     dbasis = acts.zeros(F), du = acts.zeros(3 * D), dp = acts.zeros(3 * D),
                     dh1 = acts.zeros(D);
        be.linear_backward(linear_args(a.conv, l.out_proj_w, l.out_proj_b, nullptr), dx.f32(),
                           dconv.f32(), grad(q + "out_proj.weight", l.out_proj_w),
                           grad(q + "out_proj.bias", l.out_proj_b));
        const Tensor x0 = acts.part(a.u, 0, D);
        be.hyena_conv_backward(
            long_conv_args(c, l, x0, a.w, a.filter_act.back(), nullptr),
            {.dy = dconv.f32(),
             .dx0 = dx0.f32(),
             .dw = dw.f32(),
             .dbasis = dbasis.f32(),
             .dfilter_w = grad(fq + std::to_string(2 * l.mlp_w.size()) + ".weight", l.filter_out_w),
             .dbias = grad(q + "filter_fn.bias", l.filter_bias)});
        be.hyena_gates_backward(a.u.f32(), dx0.f32(), dw.f32(), L, D, du.f32());
        be.causal_conv1d_backward(short_conv_args(c, l, a.p, nullptr),
                                  {.dy = du.f32(),
                                   .dx = dp.f32(),
                                   .dweight = grad(q + "short_filter.weight", l.short_w),
                                   .dbias = grad(q + "short_filter.bias", l.short_b)});
        be.linear_backward(linear_args(a.h1, l.in_proj_w, l.in_proj_b, nullptr), dp.f32(),
                           dh1.f32(), grad(q + "in_proj.weight", l.in_proj_w),
                           grad(q + "in_proj.bias", l.in_proj_b));
        be.norm_backward(layer_norm_args(a.x_in, l.norm1_w, l.norm1_b, c.norm_eps, nullptr),
                         dh1.f32(), dx.f32(), grad(p + "norm1.weight", l.norm1_w),
                         grad(p + "norm1.bias", l.norm1_b));
        // Implicit filter: basis = act.back(); act[m] = sin(freq ⊙ pre[m]).
        float* dfreq = grad(fq + "1.freq", l.freq);
        Tensor dact = dbasis;
        for (size_t m = l.mlp_w.size(); m-- > 0;) {
            const Tensor dpre = acts.zeros(F);
            be.sin_activation_backward(a.filter_pre[m].f32(), l.freq.f32(), dact.f32(), L, F,
                                       dpre.f32(), dfreq);
            const std::string idx = std::to_string(2 * m);
            const Tensor dprev = m > 0 ? acts.zeros(F) : Tensor();
            LinearArgs la =
                linear_args(m > 0 ? a.filter_act[m - 1] : l.z.reshape({c.l_max, c.emb_dim}),
                            l.mlp_w[m], l.mlp_b[m], nullptr);
            la.M = L;
            be.linear_backward(la, dpre.f32(), m > 0 ? dprev.f32() : nullptr,
                               grad(fq + idx + ".weight", l.mlp_w[m]),
                               grad(fq + idx + ".bias", l.mlp_b[m]));
            dact = dprev;
        }
    }
    be.embedding_backward(
        {.L = L, .V = c.vocab_size, .D = D, .ids = ids.data(), .table = model.embedding().f32()},
        dx.f32(), D, grad("embeddings.word_embeddings.weight", model.embedding()));
}

}  // namespace dnassm
