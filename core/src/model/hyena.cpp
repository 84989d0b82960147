// HyenaDNA forward (MODELS.md §1.4-1.6): x = Emb[ids]; per layer
//   x += out_proj( HyenaConv( shortconv( in_proj( LN1(x) ) ) ) );  x += fc2(gelu(fc1(LN2(x))))
// hidden = LN_f(x); logits = hidden · W^T (tied to the embedding unless lm_head is stored).
#include "hyena.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numbers>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/safetensors.h"

#include "common/fft_size.h"
#include "lm_head.h"

namespace dnassm {

std::pair<Tensor, Tensor> hyena_positional_embedding(std::int64_t Lm, std::int64_t De) {
    // t = linspace(0, 1, Lm); z = [t, cos(f_b w), -sin(f_b w)], w = 2πl/Lm, f = linspace(1e-4,
    // bands-1)
    Tensor z({Lm, De}), t({Lm});
    const std::int64_t bands = (De - 1) / 2;
    for (std::int64_t i = 0; i < Lm; ++i) {
        const double ti = Lm > 1 ? static_cast<double>(i) / static_cast<double>(Lm - 1) : 0.0;
        const double w = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(Lm);
        t.f32()[i] = static_cast<float>(ti);
        z.f32()[i * De] = static_cast<float>(ti);
        for (std::int64_t b = 0; b < bands; ++b) {
            const double fb = bands > 1 ? 1e-4 + (static_cast<double>(bands - 1) - 1e-4) *
                                                     static_cast<double>(b) /
                                                     static_cast<double>(bands - 1)
                                        : 1e-4;
            z.f32()[i * De + 1 + b] = static_cast<float>(std::cos(fb * w));
            z.f32()[i * De + 1 + bands + b] = static_cast<float>(-std::sin(fb * w));
        }
    }
    return {z, t};
}

void load_hyena_filter(const HyenaConfig& cfg,
                       WeightStore& ws,
                       const std::string& p,
                       HyenaLayer& l) {
    const std::int64_t Lm = cfg.l_max, De = cfg.emb_dim, F = cfg.filter_order, D = cfg.d_model;
    const std::string f = p + "mixer.filter_fn.";
    if (ws.has(f + "pos_emb.z")) {
        l.z = ws.get(f + "pos_emb.z", {Lm, De});
        l.t = ws.get(f + "pos_emb.t", {Lm});
    } else {  // the formula's z and t are the same for every layer: computed once, shared
        static std::mutex mutex;
        static std::map<std::pair<std::int64_t, std::int64_t>, std::pair<Tensor, Tensor>> cache;
        std::lock_guard<std::mutex> lock(mutex);
        auto& zt = cache[{Lm, De}];
        if (zt.first.empty()) zt = hyena_positional_embedding(Lm, De);
        l.z = zt.first;
        l.t = zt.second;
    }
    // One frequency tensor shared by implicit_filter.1/.3/.5 (HF files may keep only one key).
    const std::string mlp = f + "implicit_filter.";
    l.freq = ws.get(mlp + "1.freq", {F}, {mlp + "3.freq", mlp + "5.freq"});
    for (const char* alias : {"3.freq", "5.freq"})
        if (ws.has(mlp + alias)) (void)ws.get(mlp + alias, {F});
    l.mlp_w.push_back(ws.get(mlp + "0.weight", {F, De}));
    l.mlp_b.push_back(ws.get(mlp + "0.bias", {F}));
    for (std::int64_t m = 0; m < cfg.num_inner_mlps; ++m) {
        const std::string idx = std::to_string(2 + 2 * m);
        l.mlp_w.push_back(ws.get(mlp + idx + ".weight", {F, F}));
        l.mlp_b.push_back(ws.get(mlp + idx + ".bias", {F}));
    }
    l.filter_out_w = ws.get(mlp + std::to_string(2 + 2 * cfg.num_inner_mlps) + ".weight", {D, F});
    if (!cfg.modulate) return;
    if (ws.has(f + "modulation.deltas")) {
        l.deltas = ws.get(f + "modulation.deltas", {D});
    } else {  // linspace(ln(1e-2)/1.5, ln(1e-2)/0.3, D)
        l.deltas = Tensor({D});
        const double lo = std::log(1e-2) / 1.5, hi = std::log(1e-2) / 0.3;
        for (std::int64_t d = 0; d < D; ++d)
            l.deltas.f32()[d] = static_cast<float>(
                D > 1 ? lo + (hi - lo) * static_cast<double>(d) / static_cast<double>(D - 1) : lo);
    }
}

Tensor hyena_filter_basis(Backend& backend,
                          const HyenaConfig& cfg,
                          const HyenaLayer& l,
                          std::int64_t L,
                          std::vector<Tensor>* pre_acts,
                          std::vector<Tensor>* acts) {
    const std::int64_t F = cfg.filter_order, De = cfg.emb_dim;
    Tensor act;
    for (size_t m = 0; m < l.mlp_w.size(); ++m) {
        Tensor pre = backend.activation({L, F});
        backend.linear({.M = L,  // z holds l_max rows; the window uses its first L
                        .K = m ? F : De,
                        .N = F,
                        .x = m ? act.f32() : l.z.f32(),
                        .ld_x = m ? F : De,
                        .weight = l.mlp_w[m].f32(),
                        .bias = l.mlp_b[m].f32(),
                        .y = pre.f32(),
                        .ld_y = F});
        act = pre_acts ? backend.activation({L, F}) : pre;  // the trainer keeps both
        backend.sin_activation(pre.f32(), l.freq.f32(), L, F, act.f32());
        if (pre_acts) {
            pre_acts->push_back(pre);
            acts->push_back(act);
        }
    }
    return act;
}

HyenaConvArgs hyena_conv_args(const HyenaConfig& cfg,
                              const HyenaLayer& l,
                              std::int64_t L,
                              const float* x0,
                              const float* w,
                              const float* basis,
                              float* y) {
    return {.L = L,
            .D = cfg.d_model,
            .F = cfg.filter_order,
            .x0 = x0,
            .w = w,
            .basis = basis,
            .filter_w = l.filter_out_w.f32(),
            .t = l.t.f32(),
            .deltas = l.deltas.empty() ? nullptr : l.deltas.f32(),
            .shift = cfg.shift,
            .bias = l.filter_bias.f32(),
            .y = y};
}

Tensor hyena_filter(Backend& backend, const HyenaConfig& cfg, const HyenaLayer& l, std::int64_t L) {
    const std::int64_t D = cfg.d_model, F = cfg.filter_order;
    const Tensor basis = hyena_filter_basis(backend, cfg, l, L);
    Tensor k({L, D});
    backend.linear({.M = L,
                    .K = F,
                    .N = D,
                    .x = basis.f32(),
                    .ld_x = F,
                    .weight = l.filter_out_w.f32(),
                    .y = k.f32(),
                    .ld_y = D});
    if (!l.deltas.empty())
        for (std::int64_t j = 0; j < L; ++j)
            for (std::int64_t d = 0; d < D; ++d)
                k.f32()[j * D + d] *=
                    std::exp(-l.t.f32()[j] * std::fabs(l.deltas.f32()[d])) + cfg.shift;
    return k;
}

HyenaModel::HyenaModel(HyenaConfig cfg, WeightStore& ws, ModelInfo info)
    : cfg_(cfg), info_(std::move(info)) {
    const std::int64_t D = cfg.d_model, E = cfg.d_inner, V = cfg.vocab_size;
    embedding_ = ws.get("embeddings.word_embeddings.weight", {V, D});
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
        load_hyena_filter(cfg, ws, p, l);
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
    for (const auto& [name, t] : parameters()) op_weights_.push_back(t);
    for (const HyenaLayer& l : layers_)
        for (const Tensor* t : {&l.z, &l.t, &l.deltas}) op_weights_.push_back(*t);
    // Kept filter spectra: 64 MB in all, enough for a tiled run's two window lengths (its
    // windows and a contig's last one) up to 16 kb at d_model 128 (8 bytes per channel and
    // frequency); a 1 Mb window's, 2 GB per layer at d_model 256, are not kept.
    for (std::int64_t i = 0; i < cfg.n_layer; ++i)
        filter_caches_.push_back(std::make_unique<HyenaFilterCache>(
            (std::size_t{64} << 20) / static_cast<std::size_t>(cfg.n_layer)));
    op_weights_.insert(op_weights_.end(), {lm_head_, head_w_, head_b_});
}

// Memory: position-wise work runs in row blocks, and the long convolution needs only the two
// D-wide streams x0 and w = v ⊙ x1 of the whole window, so a window costs about
// 3·L·D floats + L·F (about 3.3 GB at L = 1 M, D = 256) instead of the reference's ~12·L·D.
Tensor HyenaModel::hidden_states(Backend& backend,
                                 std::span<const std::int32_t> ids,
                                 ModelState*,
                                 std::vector<Tensor>* layers,
                                 bool to_host) const {
    backend.keep_weights(op_weights_);
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.d_model,
                       E = cfg_.d_inner;
    DNASSM_CHECK(L <= cfg_.l_max, ErrorKind::kInput,
                 "window of " + std::to_string(L) + " bases is longer than the model's l_max " +
                     std::to_string(cfg_.l_max));
    for (auto id : ids)
        DNASSM_CHECK(id >= 0 && id < cfg_.vocab_size, ErrorKind::kInput,
                     "token id " + std::to_string(id) + " outside the model's vocabulary");
    // Row blocks: small enough for the CPU's caches, large on a GPU, where each block is a few
    // launches per layer whatever its size (65,536 rows of a d_model 256 model: ~0.7 GB).
    const std::int64_t R =
        std::min<std::int64_t>(L, backend.activations_on_device() ? 65536 : 8192);
    // Activations stay with the backend (on a GPU, in device memory); the final norm writes the
    // result to the host unless it is to stay there too. Every buffer but the conv state is written
    // in full before it is read.
    const Tensor x = backend.activation({L, D}), x0 = backend.activation({L, D}),
                 w = backend.activation({L, D});
    const Tensor h = backend.activation({R, D}), p = backend.activation({R, 3 * D}),
                 uc = backend.activation({R, 3 * D}), m = backend.activation({R, E}),
                 conv_state = backend.activation({3 * D, cfg_.short_filter});
    backend.embedding({.L = L,
                       .V = cfg_.vocab_size,
                       .D = D,
                       .ids = ids.data(),
                       .table = embedding_.f32(),
                       .y = x.f32()});
    for (size_t li = 0; li < layers_.size(); ++li) {
        const HyenaLayer& l = layers_[li];
        backend.zero(conv_state.f32(), conv_state.numel());
        for (std::int64_t r0 = 0; r0 < L; r0 += R) {
            const std::int64_t n = std::min(R, L - r0);
            float* xr = x.f32() + r0 * D;
            backend.norm({.kind = NormKind::kLayer,
                          .rows = n,
                          .D = D,
                          .x = xr,
                          .weight = l.norm1_w.f32(),
                          .bias = l.norm1_b.f32(),
                          .eps = cfg_.norm_eps,
                          .y = h.f32()});
            backend.linear({.M = n,
                            .K = D,
                            .N = 3 * D,
                            .x = h.f32(),
                            .ld_x = D,
                            .weight = l.in_proj_w.f32(),
                            .bias = l.in_proj_b.f32(),
                            .y = p.f32(),
                            .ld_y = 3 * D});
            // The short conv carries its last inputs across row blocks (same as one pass).
            backend.causal_conv1d({.L = n,
                                   .E = 3 * D,
                                   .W = cfg_.short_filter,
                                   .x = p.f32(),
                                   .ld_x = 3 * D,
                                   .weight = l.short_w.f32(),
                                   .bias = l.short_b.f32(),
                                   .state = conv_state.f32(),
                                   .silu = false,
                                   .y = uc.f32(),
                                   .ld_y = 3 * D});
            backend.hyena_gates(uc.f32(), n, D, x0.f32() + r0 * D, w.f32() + r0 * D);
        }
        // On the CPU the filter's spectrum for this L is kept across windows (and threads), so
        // a tiled genome evaluates its filters once per layer.
        HyenaFilterCache* cache =
            backend.caches_hyena_filters() ? filter_caches_[li].get() : nullptr;
        const std::uint64_t fingerprint = cache ? hyena_filter_fingerprint(l, filter_taps_) : 0;
        const auto kept = cache ? cache->find(L, fingerprint) : nullptr;
        Tensor basis;
        if (!kept) {
            basis = hyena_filter_basis(backend, cfg_, l, L);
            if (filter_taps_ > 0 && filter_taps_ < L) {
                // Zero basis rows make the filter taps k[j >= filter_taps_] zero (see
                // limit_context).
                const std::int64_t taps = filter_taps_ * cfg_.filter_order;
                backend.zero(basis.f32() + taps, basis.numel() - taps);
            }
        }
        HyenaConvArgs conv =
            hyena_conv_args(cfg_, l, L, x0.f32(), w.f32(), kept ? nullptr : basis.f32(), x0.f32());
        std::vector<float> computed;
        conv.spectrum = kept ? kept->data() : nullptr;
        const auto spectrum_bytes =
            static_cast<std::size_t>(D * (long_conv_fft_size(L) / 2 + 1)) * 2 * sizeof(float);
        conv.spectrum_out =
            cache && !kept && cache->has_room(fingerprint, spectrum_bytes) ? &computed : nullptr;
        backend.hyena_conv(conv);
        if (!computed.empty()) cache->keep(L, fingerprint, std::move(computed));
        for (std::int64_t r0 = 0; r0 < L; r0 += R) {
            const std::int64_t n = std::min(R, L - r0);
            float* xr = x.f32() + r0 * D;
            backend.linear({.M = n,
                            .K = D,
                            .N = D,
                            .x = x0.f32() + r0 * D,
                            .ld_x = D,
                            .weight = l.out_proj_w.f32(),
                            .bias = l.out_proj_b.f32(),
                            .y = xr,
                            .ld_y = D,
                            .accumulate = true});
            backend.norm({.kind = NormKind::kLayer,
                          .rows = n,
                          .D = D,
                          .x = xr,
                          .weight = l.norm2_w.f32(),
                          .bias = l.norm2_b.f32(),
                          .eps = cfg_.norm_eps,
                          .y = h.f32()});
            backend.linear({.M = n,
                            .K = D,
                            .N = E,
                            .x = h.f32(),
                            .ld_x = D,
                            .weight = l.fc1_w.f32(),
                            .bias = l.fc1_b.f32(),
                            .y = m.f32(),
                            .ld_y = E});
            backend.gelu_tanh_inplace(m.f32(), n * E);
            backend.linear({.M = n,
                            .K = E,
                            .N = D,
                            .x = m.f32(),
                            .ld_x = E,
                            .weight = l.fc2_w.f32(),
                            .bias = l.fc2_b.f32(),
                            .y = xr,
                            .ld_y = D,
                            .accumulate = true});
        }
        if (layers) {
            layers->push_back(Tensor::uninitialized({L, D}));
            backend.download(x.f32(), layers->back().f32(), L * D);
        }
    }
    // The final norm is row-local: on the CPU it overwrites the residual stream in place.
    const bool device = backend.activations_on_device();
    Tensor hidden = !device   ? x
                    : to_host ? Tensor::uninitialized({L, D})
                              : backend.activation({L, D});
    backend.norm({.kind = NormKind::kLayer,
                  .rows = L,
                  .D = D,
                  .x = x.f32(),
                  .weight = ln_f_w_.f32(),
                  .bias = ln_f_b_.f32(),
                  .eps = cfg_.norm_eps,
                  .y = hidden.f32()});
    return hidden;
}

void HyenaModel::logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const {
    backend.keep_weights(op_weights_);
    lm_head_logits(backend, hidden, lm_head_, out);
}

std::vector<float> HyenaModel::classify(Backend& backend, const Tensor& hidden) const {
    backend.keep_weights(op_weights_);
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

std::map<std::string, Tensor> HyenaModel::parameters() const {
    std::map<std::string, Tensor> p{{"embeddings.word_embeddings.weight", embedding_},
                                    {"ln_f.weight", ln_f_w_},
                                    {"ln_f.bias", ln_f_b_}};
    if (lm_head_.f32() != embedding_.f32()) p["lm_head.weight"] = lm_head_;
    for (size_t i = 0; i < layers_.size(); ++i) {
        const HyenaLayer& l = layers_[i];
        const std::string q = "layers." + std::to_string(i) + ".";
        const std::string f = q + "mixer.filter_fn.";
        const std::pair<std::string, const Tensor*> named[] = {
            {"norm1.weight", &l.norm1_w},
            {"norm1.bias", &l.norm1_b},
            {"norm2.weight", &l.norm2_w},
            {"norm2.bias", &l.norm2_b},
            {"mixer.in_proj.weight", &l.in_proj_w},
            {"mixer.in_proj.bias", &l.in_proj_b},
            {"mixer.short_filter.weight", &l.short_w},
            {"mixer.short_filter.bias", &l.short_b},
            {"mixer.filter_fn.bias", &l.filter_bias},
            {"mixer.out_proj.weight", &l.out_proj_w},
            {"mixer.out_proj.bias", &l.out_proj_b},
            {"mlp.fc1.weight", &l.fc1_w},
            {"mlp.fc1.bias", &l.fc1_b},
            {"mlp.fc2.weight", &l.fc2_w},
            {"mlp.fc2.bias", &l.fc2_b}};
        for (const auto& [name, t] : named) p[q + name] = *t;
        const std::string mlp = f + "implicit_filter.";
        for (size_t m = 0; m < l.mlp_w.size(); ++m) {
            p[mlp + std::to_string(2 * m) + ".weight"] = l.mlp_w[m];
            p[mlp + std::to_string(2 * m) + ".bias"] = l.mlp_b[m];
        }
        p[mlp + "1.freq"] = l.freq;
        p[mlp + std::to_string(2 * l.mlp_w.size()) + ".weight"] = l.filter_out_w;
    }
    return p;
}

void HyenaModel::save(const std::string& dir, const nlohmann::json& provenance) const {
    std::filesystem::create_directories(dir);
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, t] : parameters())  // conv weights in PyTorch's {C, 1, W} layout
        tensors[name] = name.find("short_filter.weight") != std::string::npos
                            ? t.reshape({3 * cfg_.d_model, 1, cfg_.short_filter})
                            : t;
    for (size_t i = 0; i < layers_.size(); ++i)
        if (!layers_[i].deltas.empty())
            tensors["layers." + std::to_string(i) + ".mixer.filter_fn.modulation.deltas"] =
                layers_[i].deltas;
    if (!head_w_.empty()) {  // HyenaDNA's pooled classification head rides along, untrained
        tensors["head.output_transform.weight"] = head_w_;
        tensors["head.output_transform.bias"] = head_b_;
    }
    write_safetensors(dir + "/model.safetensors", tensors, {{"format", "dnassm"}});
    nlohmann::json c = {{"format", "dnassm"},
                        {"format_version", 1},
                        {"family", "hyena"},
                        {"d_model", cfg_.d_model},
                        {"n_layer", cfg_.n_layer},
                        {"d_inner", cfg_.d_inner},
                        {"vocab_size", cfg_.vocab_size},
                        {"l_max", cfg_.l_max},
                        {"emb_dim", cfg_.emb_dim},
                        {"filter_order", cfg_.filter_order},
                        {"num_inner_mlps", cfg_.num_inner_mlps},
                        {"shift", cfg_.shift},
                        {"modulate", cfg_.modulate},
                        {"layer_norm_epsilon", cfg_.norm_eps},
                        {"tie_embeddings", lm_head_.f32() == embedding_.f32()},
                        {"tokenizer", {{"kind", "char"}, {"uppercase", true}}},
                        {"provenance", provenance}};
    write_file(dir + "/config.json", c.dump(2) + "\n");
}

std::int64_t HyenaModel::limit_context(std::int64_t bases) {
    // Each layer looks back (short_filter - 1) + (taps - 1) bases; n_layer of them add up.
    const std::int64_t taps = bases / cfg_.n_layer - (cfg_.short_filter - 1) + 1;
    DNASSM_CHECK(taps >= 1, ErrorKind::kUsage,
                 std::to_string(bases) + " bases of context are too few for exact tiling of " +
                     std::to_string(cfg_.n_layer) + " layers (raise --overlap)");
    filter_taps_ = taps;
    return cfg_.n_layer * ((cfg_.short_filter - 1) + (taps - 1));
}

}  // namespace dnassm
