// Forward with saved activations, then the reverse sweep of MODELS.md §2.2/§4.3 through the LM
// head, final norm, and each block (out_proj, scan, dt_proj, x_proj, conv, in_proj, norm).
#include "train/mamba_grad.h"

#include <cmath>

#include "dnassm/error.h"

#include "model/window_activations.h"

namespace dnassm {

namespace {

const float* bias_of(const Tensor& t) { return t.empty() ? nullptr : t.f32(); }

// Every activation is written in full by its op.
MixerActs make_mixer(const MambaConfig& c,
                     const MambaMixerWeights& m,
                     const Tensor& h,
                     const WindowActivations& acts) {
    const std::int64_t L = h.dim(0), D = c.d_model, E = c.d_inner(), N = c.d_state, R = c.dt_rank;
    const std::int64_t P = R + 2 * N;
    MixerActs a{h,
                acts.make(2 * E),
                acts.make(E),
                acts.make(P),
                acts.make(E),
                acts.make(E),
                acts.make(D),
                {},
                {},
                {},
                {},
                {},
                {}};
    a.in_proj = {.M = L,
                 .K = D,
                 .N = 2 * E,
                 .x = a.h.f32(),
                 .ld_x = D,
                 .weight = m.in_proj_w.f32(),
                 .bias = bias_of(m.in_proj_b),
                 .y = a.xz.f32(),
                 .ld_y = 2 * E};
    a.conv = {.L = L,
              .E = E,
              .W = c.d_conv,
              .x = a.xz.f32(),
              .ld_x = 2 * E,
              .weight = m.conv_w.f32(),
              .bias = bias_of(m.conv_b),
              .silu = true,
              .y = a.xc.f32(),
              .ld_y = E};
    a.x_proj = {.M = L,
                .K = E,
                .N = P,
                .x = a.xc.f32(),
                .ld_x = E,
                .weight = m.x_proj_w.f32(),
                .y = a.xdbl.f32(),
                .ld_y = P};
    a.dt_proj = {.M = L,
                 .K = R,
                 .N = E,
                 .x = a.xdbl.f32(),
                 .ld_x = P,
                 .weight = m.dt_proj_w.f32(),
                 .y = a.dt.f32(),
                 .ld_y = E};
    a.scan = {.L = L,
              .E = E,
              .N = N,
              .u = a.xc.f32(),
              .ld_u = E,
              .delta = a.dt.f32(),
              .ld_delta = E,
              .A = m.A.f32(),
              .B = a.xdbl.f32() + R,
              .ld_B = P,
              .C = a.xdbl.f32() + R + N,
              .ld_C = P,
              .D = m.D.f32(),
              .delta_bias = m.dt_proj_b.f32(),
              .delta_softplus = true,
              .z = a.xz.f32() + E,
              .ld_z = 2 * E,
              .y = a.y.f32(),
              .ld_y = E};
    a.out_proj = {.M = L,
                  .K = E,
                  .N = D,
                  .x = a.y.f32(),
                  .ld_x = E,
                  .weight = m.out_proj_w.f32(),
                  .bias = bias_of(m.out_proj_b),
                  .y = a.out.f32(),
                  .ld_y = D};
    return a;
}

// One block's forward from its input x, keeping every activation backward needs.
LayerActs run_layer(const MambaConfig& c,
                    const MambaLayerWeights& lw,
                    const Tensor& x,
                    Backend& be) {
    const std::int64_t L = x.dim(0), D = c.d_model;
    const WindowActivations acts(be, L);
    LayerActs a{acts.clone(x), acts.make(D), {}, {}};
    a.norm = {.kind = c.rms_norm ? NormKind::kRms : NormKind::kLayer,
              .rows = L,
              .D = D,
              .x = a.x_in.f32(),
              .weight = lw.norm_w.f32(),
              .bias = bias_of(lw.norm_b),
              .eps = c.norm_eps,
              .y = a.h.f32()};
    be.norm(a.norm);
    a.mixer = mamba_mixer_tape(c, lw.mixer, a.h, be);
    return a;
}

}  // namespace

MixerActs mamba_mixer_tape(const MambaConfig& c,
                           const MambaMixerWeights& m,
                           const Tensor& h,
                           Backend& be) {
    MixerActs a = make_mixer(c, m, h, WindowActivations(be, h.dim(0)));
    be.linear(a.in_proj);
    be.causal_conv1d(a.conv);
    be.linear(a.x_proj);
    be.linear(a.dt_proj);
    be.selective_scan(a.scan);
    be.linear(a.out_proj);
    return a;
}

void mamba_mixer_backward(const MambaConfig& c,
                          const MambaMixerWeights& m,
                          const MixerActs& a,
                          const float* dout,
                          float* dh,
                          const std::string& q,
                          const GradSink& grad,
                          Backend& be) {
    const std::int64_t L = a.h.dim(0), E = c.d_inner(), N = c.d_state, R = c.dt_rank;
    const std::int64_t P = R + 2 * N;
    auto opt_grad = [&](const std::string& name, const Tensor& t) {
        return t.empty() ? nullptr : grad(name, t);
    };
    const WindowActivations acts(be, L);
    const Tensor dy = acts.zeros(E), dxz = acts.zeros(2 * E), dxc = acts.zeros(E),
                 dxdbl = acts.zeros(P), ddt = acts.zeros(E);
    be.linear_backward(a.out_proj, dout, dy.f32(), grad(q + "out_proj.weight", m.out_proj_w),
                       opt_grad(q + "out_proj.bias", m.out_proj_b));
    be.selective_scan_backward(a.scan, {.dy = dy.f32(),
                                        .du = dxc.f32(),
                                        .ddelta = ddt.f32(),
                                        .dz = dxz.f32() + E,
                                        .dA = grad(q + "A", m.A),
                                        .dB = dxdbl.f32() + R,
                                        .dC = dxdbl.f32() + R + N,
                                        .dD = grad(q + "D", m.D),
                                        .ddelta_bias = grad(q + "dt_proj.bias", m.dt_proj_b)});
    be.linear_backward(a.dt_proj, ddt.f32(), dxdbl.f32(), grad(q + "dt_proj.weight", m.dt_proj_w),
                       nullptr);
    be.linear_backward(a.x_proj, dxdbl.f32(), dxc.f32(), grad(q + "x_proj.weight", m.x_proj_w),
                       nullptr);
    be.causal_conv1d_backward(a.conv, {.dy = dxc.f32(),
                                       .dx = dxz.f32(),
                                       .dweight = grad(q + "conv1d.weight", m.conv_w),
                                       .dbias = opt_grad(q + "conv1d.bias", m.conv_b)});
    be.linear_backward(a.in_proj, dxz.f32(), dh, grad(q + "in_proj.weight", m.in_proj_w),
                       opt_grad(q + "in_proj.bias", m.in_proj_b));
}

MambaTape mamba_forward_tape(const MambaModel& model,
                             std::span<const std::int32_t> ids,
                             Backend& be,
                             bool recompute) {
    const MambaConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.d_model, V = c.vocab_size;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    be.keep_weights(model.op_weights());
    MambaTape tape;
    tape.backend = &be;
    tape.recompute = recompute;
    const WindowActivations acts(be, L);
    tape.x = acts.make(D);
    Tensor& x = tape.x;
    be.embedding({.L = L,
                  .V = V,
                  .D = D,
                  .ids = ids.data(),
                  .table = model.embedding().f32(),
                  .y = x.f32()});
    for (std::int64_t i = 0; i < c.n_layer; ++i) {
        LayerActs a = run_layer(c, model.layer(i), x, be);
        be.add_inplace(x.f32(), a.mixer.out.f32(), L * D);
        // Checkpointing: keep only the block's input; backward recomputes the rest.
        if (recompute)
            tape.inputs.push_back(a.x_in);
        else
            tape.layers.push_back(std::move(a));
    }
    tape.hidden = acts.make(D);
    tape.final_norm = {.kind = c.rms_norm ? NormKind::kRms : NormKind::kLayer,
                       .rows = L,
                       .D = D,
                       .x = x.f32(),
                       .weight = model.norm_f_weight().f32(),
                       .bias = bias_of(model.norm_f_bias()),
                       .eps = c.norm_eps,
                       .y = tape.hidden.f32()};
    be.norm(tape.final_norm);
    return tape;
}

void mamba_backward(const MambaModel& model,
                    const MambaTape& tape,
                    std::span<const std::int32_t> ids,
                    const float* dhidden,
                    std::map<std::string, Tensor>& grads) {
    Backend& be = *tape.backend;
    const MambaConfig& c = model.config();
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = c.d_model;
    const GradSink grad = grad_sink(grads, be);
    const WindowActivations acts(be, L);
    const Tensor dx = acts.zeros(D);
    be.norm_backward(
        tape.final_norm, dhidden, dx.f32(), grad("norm_f.weight", model.norm_f_weight()),
        model.norm_f_bias().empty() ? nullptr : grad("norm_f.bias", model.norm_f_bias()));
    for (std::int64_t i = c.n_layer - 1; i >= 0; --i) {
        const auto& lw = model.layer(i);
        LayerActs recomputed;
        if (tape.recompute) recomputed = run_layer(c, lw, tape.inputs[static_cast<size_t>(i)], be);
        const LayerActs& a = tape.recompute ? recomputed : tape.layers[static_cast<size_t>(i)];
        const std::string p = "layers." + std::to_string(i) + ".";
        const Tensor dh = acts.zeros(D);
        mamba_mixer_backward(c, lw.mixer, a.mixer, dx.f32(), dh.f32(), p + "mixer.", grad, be);
        // dx: the residual gradient plus this block's input gradient.
        be.norm_backward(a.norm, dh.f32(), dx.f32(), grad(p + "norm.weight", lw.norm_w),
                         lw.norm_b.empty() ? nullptr : grad(p + "norm.bias", lw.norm_b));
    }
    be.embedding_backward(
        {.L = L, .V = c.vocab_size, .D = D, .ids = ids.data(), .table = model.embedding().f32()},
        dx.f32(), D, grad("embedding.weight", model.embedding()));
}

std::map<std::string, Tensor> a_log_grads(
    std::map<std::string, Tensor> grads,
    Backend& be,
    const std::function<const Tensor&(const std::string&)>& A_of) {
    // The backward gives d/dA; the parameter is A_log (A = −exp(A_log) ⇒ dA_log = dA · A).
    std::map<std::string, Tensor> out;
    for (auto& [name, g] : grads) {
        if (name.size() > 2 && name.compare(name.size() - 2, 2, ".A") == 0) {
            be.mul_inplace(g.f32(), A_of(name).f32(), g.numel());
            out[name + "_log"] = g;
        } else {
            out[name] = g;
        }
    }
    return out;
}

std::map<std::string, Tensor> mamba_parameter_grads(const MambaModel& model,
                                                    std::map<std::string, Tensor> grads,
                                                    Backend& be) {
    return a_log_grads(std::move(grads), be, [&](const std::string& name) -> const Tensor& {
        return model.mixer(std::stoll(name.substr(7, name.find('.', 7) - 7))).A;
    });
}

}  // namespace dnassm
