// HyenaDNA forward (MODELS.md §1.4-1.6): x = Emb[ids]; per layer
//   x += out_proj( HyenaConv( shortconv( in_proj( LN1(x) ) ) ) );  x += fc2(gelu(fc1(LN2(x))))
// hidden = LN_f(x); logits = hidden · W^T (tied to the embedding unless lm_head is stored).
#include "hyena.h"

#include <cmath>
#include <numbers>

#include "dnassm/error.h"

namespace dnassm {

Tensor hyena_implicit_filter(Backend& backend,
                             const HyenaConfig& cfg,
                             WeightStore& ws,
                             const std::string& p) {
    const std::int64_t Lm = cfg.l_max, De = cfg.emb_dim, F = cfg.filter_order, D = cfg.d_model;
    const std::string f = p + "mixer.filter_fn.";
    // Positional embedding z {Lm, emb_dim} and t {Lm}: stored buffers, or §1.5.1's formulas.
    Tensor z, t;
    if (ws.has(f + "pos_emb.z")) {
        z = ws.get(f + "pos_emb.z", {Lm, De});
        t = ws.get(f + "pos_emb.t", {Lm});
    } else {
        z = Tensor({Lm, De});
        t = Tensor({Lm});
        const std::int64_t bands = (De - 1) / 2;
        for (std::int64_t l = 0; l < Lm; ++l) {
            const double tl = Lm > 1 ? static_cast<double>(l) / static_cast<double>(Lm - 1) : 0.0;
            const double w =
                2.0 * std::numbers::pi * static_cast<double>(l) / static_cast<double>(Lm);
            t.f32()[l] = static_cast<float>(tl);
            z.f32()[l * De] = static_cast<float>(tl);
            for (std::int64_t b = 0; b < bands; ++b) {
                const double fb = bands > 1 ? 1e-4 + (static_cast<double>(bands - 1) - 1e-4) *
                                                         static_cast<double>(b) /
                                                         static_cast<double>(bands - 1)
                                            : 1e-4;
                z.f32()[l * De + 1 + b] = static_cast<float>(std::cos(fb * w));
                z.f32()[l * De + 1 + bands + b] = static_cast<float>(-std::sin(fb * w));
            }
        }
    }
    // The Sin activation's frequency: one tensor shared by implicit_filter.1/.3/.5 (HF
    // safetensors may keep only one of the three keys).
    const std::string mlp = f + "implicit_filter.";
    const Tensor freq = ws.get(mlp + "1.freq", {F}, {mlp + "3.freq", mlp + "5.freq"});
    for (const char* alias : {"3.freq", "5.freq"})
        if (ws.has(mlp + alias)) (void)ws.get(mlp + alias, {F});
    Tensor a({Lm, F}), b({Lm, F});
    auto sin_act = [&](Tensor& x) {
        for (std::int64_t l = 0; l < Lm; ++l)
            for (std::int64_t i = 0; i < F; ++i)
                x.f32()[l * F + i] = std::sin(freq.f32()[i] * x.f32()[l * F + i]);
    };
    const Tensor w0 = ws.get(mlp + "0.weight", {F, De}), b0 = ws.get(mlp + "0.bias", {F});
    backend.linear({.M = Lm,
                    .K = De,
                    .N = F,
                    .x = z.f32(),
                    .ld_x = De,
                    .weight = w0.f32(),
                    .bias = b0.f32(),
                    .y = a.f32(),
                    .ld_y = F});
    sin_act(a);
    Tensor* cur = &a;
    Tensor* nxt = &b;
    for (std::int64_t m = 0; m < cfg.num_inner_mlps; ++m) {
        const std::string idx = std::to_string(2 + 2 * m);
        const Tensor w = ws.get(mlp + idx + ".weight", {F, F}),
                     bias = ws.get(mlp + idx + ".bias", {F});
        backend.linear({.M = Lm,
                        .K = F,
                        .N = F,
                        .x = cur->f32(),
                        .ld_x = F,
                        .weight = w.f32(),
                        .bias = bias.f32(),
                        .y = nxt->f32(),
                        .ld_y = F});
        sin_act(*nxt);
        std::swap(cur, nxt);
    }
    const Tensor w_out =
        ws.get(mlp + std::to_string(2 + 2 * cfg.num_inner_mlps) + ".weight", {D, F});
    Tensor k({Lm, D});
    backend.linear({.M = Lm,
                    .K = F,
                    .N = D,
                    .x = cur->f32(),
                    .ld_x = F,
                    .weight = w_out.f32(),
                    .y = k.f32(),
                    .ld_y = D});
    if (cfg.modulate) {
        Tensor deltas;
        if (ws.has(f + "modulation.deltas")) {
            deltas = ws.get(f + "modulation.deltas", {D});
        } else {
            deltas = Tensor({D});
            const double lo = std::log(1e-2) / 1.5, hi = std::log(1e-2) / 0.3;
            for (std::int64_t d = 0; d < D; ++d)
                deltas.f32()[d] = static_cast<float>(
                    D > 1 ? lo + (hi - lo) * static_cast<double>(d) / static_cast<double>(D - 1)
                          : lo);
        }
        for (std::int64_t l = 0; l < Lm; ++l)
            for (std::int64_t d = 0; d < D; ++d)
                k.f32()[l * D + d] *=
                    std::exp(-t.f32()[l] * std::fabs(deltas.f32()[d])) + cfg.shift;
    }
    return k;
}

HyenaModel::HyenaModel(HyenaConfig cfg, WeightStore& ws, ModelInfo info)
    : cfg_(cfg), info_(std::move(info)) {
    const std::int64_t D = cfg.d_model, E = cfg.d_inner, V = cfg.vocab_size;
    embedding_ = ws.get("embeddings.word_embeddings.weight", {V, D});
    auto backend = make_backend("cpu");
    for (std::int64_t i = 0; i < cfg.n_layer; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        // Checkpoints trained with activation checkpointing nest modules under ".layer."
        // (huggingface.py inject_substring); try both spellings.
        auto get = [&](const std::string& name, std::vector<std::int64_t> shape) {
            const std::string nested =
                p + (name.rfind("mixer.", 0) == 0 ? "mixer.layer." + name.substr(6)
                     : name.rfind("mlp.", 0) == 0 ? "mlp.layer." + name.substr(4)
                                                  : name);
            return ws.get(p + name, shape, {nested});
        };
        HyenaLayer l;
        l.norm1_w = get("norm1.weight", {D});
        l.norm1_b = get("norm1.bias", {D});
        l.norm2_w = get("norm2.weight", {D});
        l.norm2_b = get("norm2.bias", {D});
        l.in_proj_w = get("mixer.in_proj.weight", {3 * D, D});
        l.in_proj_b = get("mixer.in_proj.bias", {3 * D});
        l.short_w = get("mixer.short_filter.weight", {3 * D, cfg.short_filter});
        l.short_b = get("mixer.short_filter.bias", {3 * D});
        l.filter_bias = get("mixer.filter_fn.bias", {D});
        l.out_proj_w = get("mixer.out_proj.weight", {D, D});
        l.out_proj_b = get("mixer.out_proj.bias", {D});
        l.fc1_w = get("mlp.fc1.weight", {E, D});
        l.fc1_b = get("mlp.fc1.bias", {E});
        l.fc2_w = get("mlp.fc2.weight", {D, E});
        l.fc2_b = get("mlp.fc2.bias", {D});
        l.k = hyena_implicit_filter(*backend, cfg, ws, p);
        layers_.push_back(std::move(l));
    }
    ln_f_w_ = ws.get("ln_f.weight", {D});
    ln_f_b_ = ws.get("ln_f.bias", {D});
    lm_head_ = ws.has("lm_head.weight") ? ws.get("lm_head.weight", {V, D}) : embedding_;
    if (ws.has("head.output_transform.weight")) {
        cfg_.n_classes = ws.shape_of("head.output_transform.weight").at(0);
        head_w_ = ws.get("head.output_transform.weight", {cfg_.n_classes, D});
        head_b_ = ws.get("head.output_transform.bias", {cfg_.n_classes});
    }
}

Tensor HyenaModel::forward(Backend& backend,
                           std::span<const std::int32_t> ids,
                           ModelState*,
                           std::vector<Tensor>* layers) const {
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.d_model,
                       E = cfg_.d_inner;
    DNASSM_CHECK(L <= cfg_.l_max, ErrorKind::kInput,
                 "window of " + std::to_string(L) + " bases is longer than the model's l_max " +
                     std::to_string(cfg_.l_max));
    for (auto id : ids)
        DNASSM_CHECK(id >= 0 && id < cfg_.vocab_size, ErrorKind::kInput,
                     "token id " + std::to_string(id) + " outside the model's vocabulary");
    Tensor x({L, D}), h({L, D}), p({L, 3 * D}), uc({L, 3 * D}), y({L, D}), m({L, E});
    backend.embedding({.L = L,
                       .V = cfg_.vocab_size,
                       .D = D,
                       .ids = ids.data(),
                       .table = embedding_.f32(),
                       .y = x.f32()});
    for (const HyenaLayer& l : layers_) {
        backend.norm({.kind = NormKind::kLayer,
                      .rows = L,
                      .D = D,
                      .x = x.f32(),
                      .weight = l.norm1_w.f32(),
                      .bias = l.norm1_b.f32(),
                      .eps = cfg_.norm_eps,
                      .y = h.f32()});
        backend.linear({.M = L,
                        .K = D,
                        .N = 3 * D,
                        .x = h.f32(),
                        .ld_x = D,
                        .weight = l.in_proj_w.f32(),
                        .bias = l.in_proj_b.f32(),
                        .y = p.f32(),
                        .ld_y = 3 * D});
        backend.causal_conv1d({.L = L,
                               .E = 3 * D,
                               .W = cfg_.short_filter,
                               .x = p.f32(),
                               .ld_x = 3 * D,
                               .weight = l.short_w.f32(),
                               .bias = l.short_b.f32(),
                               .state = nullptr,
                               .silu = false,
                               .y = uc.f32(),
                               .ld_y = 3 * D});
        backend.hyena_conv({.L = L,
                            .D = D,
                            .uc = uc.f32(),
                            .ld_uc = 3 * D,
                            .k = l.k.f32(),
                            .bias = l.filter_bias.f32(),
                            .y = y.f32(),
                            .ld_y = D});
        backend.linear({.M = L,
                        .K = D,
                        .N = D,
                        .x = y.f32(),
                        .ld_x = D,
                        .weight = l.out_proj_w.f32(),
                        .bias = l.out_proj_b.f32(),
                        .y = x.f32(),
                        .ld_y = D,
                        .accumulate = true});
        backend.norm({.kind = NormKind::kLayer,
                      .rows = L,
                      .D = D,
                      .x = x.f32(),
                      .weight = l.norm2_w.f32(),
                      .bias = l.norm2_b.f32(),
                      .eps = cfg_.norm_eps,
                      .y = h.f32()});
        backend.linear({.M = L,
                        .K = D,
                        .N = E,
                        .x = h.f32(),
                        .ld_x = D,
                        .weight = l.fc1_w.f32(),
                        .bias = l.fc1_b.f32(),
                        .y = m.f32(),
                        .ld_y = E});
        backend.gelu_tanh_inplace(m.f32(), L * E);
        backend.linear({.M = L,
                        .K = E,
                        .N = D,
                        .x = m.f32(),
                        .ld_x = E,
                        .weight = l.fc2_w.f32(),
                        .bias = l.fc2_b.f32(),
                        .y = x.f32(),
                        .ld_y = D,
                        .accumulate = true});
        if (layers) layers->push_back(x.clone());
    }
    backend.norm({.kind = NormKind::kLayer,
                  .rows = L,
                  .D = D,
                  .x = x.f32(),
                  .weight = ln_f_w_.f32(),
                  .bias = ln_f_b_.f32(),
                  .eps = cfg_.norm_eps,
                  .y = h.f32()});
    return h;
}

Tensor HyenaModel::logits(Backend& backend, const Tensor& hidden) const {
    const std::int64_t L = hidden.dim(0), D = cfg_.d_model, V = cfg_.vocab_size;
    Tensor out({L, V});
    backend.linear({.M = L,
                    .K = D,
                    .N = V,
                    .x = hidden.f32(),
                    .ld_x = D,
                    .weight = lm_head_.f32(),
                    .y = out.f32(),
                    .ld_y = V});
    return out;
}

std::vector<float> HyenaModel::classify(Backend& backend, const Tensor& hidden) const {
    DNASSM_CHECK(cfg_.n_classes > 0, ErrorKind::kModel, "model has no classification head");
    const std::int64_t L = hidden.dim(0), D = cfg_.d_model;
    Tensor mean({1, D});
    for (std::int64_t t = 0; t < L; ++t)
        for (std::int64_t d = 0; d < D; ++d) mean.f32()[d] += hidden.f32()[t * D + d];
    for (std::int64_t d = 0; d < D; ++d) mean.f32()[d] /= static_cast<float>(L);
    std::vector<float> out(static_cast<size_t>(cfg_.n_classes));
    backend.linear({.M = 1,
                    .K = D,
                    .N = cfg_.n_classes,
                    .x = mean.f32(),
                    .ld_x = D,
                    .weight = head_w_.f32(),
                    .bias = head_b_.f32(),
                    .y = out.data(),
                    .ld_y = cfg_.n_classes});
    return out;
}

}  // namespace dnassm
