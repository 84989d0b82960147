// Mamba-1 LM forward (MODELS.md §2.2, §2.4): x = Emb[ids]; per layer x += Mixer(Norm(x));
// hidden = Norm_f(x); logits = hidden · W_lm^T. Activations are time-major {L, C}.
#include "mamba.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/safetensors.h"

#include "lm_head.h"
#include "window_activations.h"

namespace dnassm {

void MambaScratch::reserve(const MambaConfig& cfg, std::int64_t L, Backend& be) {
    if (L <= rows && be.name() == backend) return;
    const std::int64_t D = cfg.d_model, E = cfg.d_inner(), P = cfg.dt_rank + 2 * cfg.d_state;
    *this = {};  // free the old buffers first
    x = be.activation({L, D});
    // On the CPU each layer's norm writes into the returned hidden-state tensor instead.
    if (be.activations_on_device()) h = be.activation({L, D});
    out = be.activation({L, D});
    xz = be.activation({L, 2 * E});
    xc = be.activation({L, E});
    xdbl = be.activation({L, P});
    dt = be.activation({L, E});
    y = be.activation({L, E});
    rows = L;
    backend = be.name();
}

std::vector<std::pair<std::string, Tensor>> MambaState::tensors() const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string q = "layers." + std::to_string(i) + ".";
        out.emplace_back(q + "conv", layers[i].conv);
        out.emplace_back(q + "ssm", layers[i].ssm);
    }
    return out;
}

void MambaState::follow(Backend& be) {
    if (layers.empty()) return;
    DNASSM_CHECK(layers.front().conv.device() == Device::kCpu || be.activations_on_device(),
                 ErrorKind::kUsage,
                 "a Mamba stream state held on a GPU cannot continue on " + be.name());
    for (MambaLayerState& l : layers)
        for (Tensor* t : {&l.conv, &l.ssm}) *t = with_backend(be, *t);
}

void mamba_mixer_forward(Backend& backend,
                         const MambaConfig& cfg,
                         const MambaMixerWeights& w,
                         const float* h,
                         std::int64_t L,
                         MambaLayerState* state,
                         float* out,
                         MambaScratch* scratch) {
    const std::int64_t D = cfg.d_model, E = cfg.d_inner(), N = cfg.d_state, R = cfg.dt_rank;
    const std::int64_t W = cfg.d_conv, P = R + 2 * N;
    MambaScratch local;
    if (!scratch) {
        local.reserve(cfg, L, backend);
        scratch = &local;
    }
    DNASSM_ASSERT(scratch->rows >= L);
    Tensor &xz = scratch->xz, &xc = scratch->xc, &xdbl = scratch->xdbl, &dt = scratch->dt,
           &y = scratch->y;

    backend.linear({.M = L,
                    .K = D,
                    .N = 2 * E,
                    .x = h,
                    .ld_x = D,
                    .weight = w.in_proj_w.f32(),
                    .bias = w.in_proj_b.empty() ? nullptr : w.in_proj_b.f32(),
                    .y = xz.f32(),
                    .ld_y = 2 * E});
    backend.causal_conv1d({.L = L,
                           .E = E,
                           .W = W,
                           .x = xz.f32(),
                           .ld_x = 2 * E,
                           .weight = w.conv_w.f32(),
                           .bias = w.conv_b.empty() ? nullptr : w.conv_b.f32(),
                           .state = state ? state->conv.f32() : nullptr,
                           .silu = true,
                           .y = xc.f32(),
                           .ld_y = E});
    backend.linear({.M = L,
                    .K = E,
                    .N = P,
                    .x = xc.f32(),
                    .ld_x = E,
                    .weight = w.x_proj_w.f32(),
                    .y = xdbl.f32(),
                    .ld_y = P});
    // dt_proj without its bias: the bias is added inside the scan before softplus.
    backend.linear({.M = L,
                    .K = R,
                    .N = E,
                    .x = xdbl.f32(),
                    .ld_x = P,
                    .weight = w.dt_proj_w.f32(),
                    .y = dt.f32(),
                    .ld_y = E});
    backend.selective_scan({.L = L,
                            .E = E,
                            .N = N,
                            .u = xc.f32(),
                            .ld_u = E,
                            .delta = dt.f32(),
                            .ld_delta = E,
                            .A = w.A.f32(),
                            .B = xdbl.f32() + R,
                            .ld_B = P,
                            .C = xdbl.f32() + R + N,
                            .ld_C = P,
                            .D = w.D.f32(),
                            .delta_bias = w.dt_proj_b.f32(),
                            .delta_softplus = true,
                            .z = xz.f32() + E,
                            .ld_z = 2 * E,
                            .state = state ? state->ssm.f32() : nullptr,
                            .y = y.f32(),
                            .ld_y = E});
    backend.linear({.M = L,
                    .K = E,
                    .N = D,
                    .x = y.f32(),
                    .ld_x = E,
                    .weight = w.out_proj_w.f32(),
                    .bias = w.out_proj_b.empty() ? nullptr : w.out_proj_b.f32(),
                    .y = out,
                    .ld_y = D});
}

void MambaMixerWeights::refresh_A() {
    if (A.empty() || A.numel() != A_log.numel()) A = Tensor(A_log.shape());
    for (std::int64_t k = 0; k < A.numel(); ++k) A.f32()[k] = -std::exp(A_log.f32()[k]);
}

void MambaModel::refresh_derived() {
    for (auto& l : layers_) l.mixer.refresh_A();
}

void add_mixer_parameters(std::map<std::string, Tensor>& out,
                          const std::string& prefix,
                          const MambaMixerWeights& m,
                          bool shared_projections) {
    const Tensor* none = nullptr;
    const std::pair<const char*, const Tensor*> named[] = {
        {"in_proj.weight", shared_projections ? none : &m.in_proj_w},
        {"in_proj.bias", shared_projections ? none : &m.in_proj_b},
        {"out_proj.weight", shared_projections ? none : &m.out_proj_w},
        {"out_proj.bias", shared_projections ? none : &m.out_proj_b},
        {"conv1d.weight", &m.conv_w},
        {"conv1d.bias", &m.conv_b},
        {"x_proj.weight", &m.x_proj_w},
        {"dt_proj.weight", &m.dt_proj_w},
        {"dt_proj.bias", &m.dt_proj_b},
        {"A_log", &m.A_log},
        {"D", &m.D}};
    for (const auto& [name, t] : named)
        if (t && !t->empty()) out[prefix + name] = *t;
}

std::map<std::string, Tensor> MambaModel::parameters() const {
    std::map<std::string, Tensor> p{{"embedding.weight", embedding_}, {"norm_f.weight", norm_f_w_}};
    if (!norm_f_b_.empty()) p["norm_f.bias"] = norm_f_b_;
    if (lm_head_.f32() != embedding_.f32()) p["lm_head.weight"] = lm_head_;
    for (size_t i = 0; i < layers_.size(); ++i) {
        const auto& l = layers_[i];
        const std::string q = "layers." + std::to_string(i) + ".";
        p[q + "norm.weight"] = l.norm_w;
        if (!l.norm_b.empty()) p[q + "norm.bias"] = l.norm_b;
        add_mixer_parameters(p, q + "mixer.", l.mixer);
    }
    return p;
}

void MambaModel::save(const std::string& dir, const nlohmann::json& provenance) const {
    std::filesystem::create_directories(dir);
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, t] : parameters()) {
        // Conv weights keep PyTorch's {E, 1, W} shape so the file loads in mamba_ssm's layout too.
        tensors[name] = name.find("conv1d.weight") != std::string::npos
                            ? t.reshape({cfg_.d_inner(), 1, cfg_.d_conv})
                            : t;
    }
    write_safetensors(dir + "/model.safetensors", tensors, {{"format", "dnassm"}});
    nlohmann::json c = {{"format", "dnassm"},
                        {"format_version", 1},
                        {"family", "mamba"},
                        {"d_model", cfg_.d_model},
                        {"n_layer", cfg_.n_layer},
                        {"vocab_size", cfg_.vocab_size},
                        {"d_state", cfg_.d_state},
                        {"d_conv", cfg_.d_conv},
                        {"expand", cfg_.expand},
                        {"dt_rank", cfg_.dt_rank},
                        {"norm", cfg_.rms_norm ? "rms" : "layer"},
                        {"norm_eps", cfg_.norm_eps},
                        {"conv_bias", cfg_.conv_bias},
                        {"bias", cfg_.bias},
                        {"tie_embeddings", lm_head_.f32() == embedding_.f32()},
                        {"tokenizer", {{"kind", "char"}, {"uppercase", cfg_.uppercase}}},
                        {"provenance", provenance}};
    write_file(dir + "/config.json", c.dump(2) + "\n");
}

MambaMixerWeights load_mamba_mixer(WeightStore& ws,
                                   const std::string& q,
                                   const MambaConfig& cfg,
                                   const MambaMixerWeights* tied_projections) {
    const std::int64_t D = cfg.d_model, E = cfg.d_inner(), N = cfg.d_state, R = cfg.dt_rank;
    const std::int64_t W = cfg.d_conv;
    MambaMixerWeights m;
    // Tied projections may be stored under both names (same bytes) or only once.
    auto proj = [&](const std::string& name, std::vector<std::int64_t> shape, const Tensor* tied) {
        if (!tied) return ws.get(q + name, shape);
        if (ws.has(q + name)) (void)ws.get(q + name, shape);
        return *tied;
    };
    m.in_proj_w = proj("in_proj.weight", {2 * E, D},
                       tied_projections ? &tied_projections->in_proj_w : nullptr);
    if (cfg.bias)
        m.in_proj_b = proj("in_proj.bias", {2 * E},
                           tied_projections ? &tied_projections->in_proj_b : nullptr);
    m.conv_w = ws.get(q + "conv1d.weight", {E, W});
    if (cfg.conv_bias) m.conv_b = ws.get(q + "conv1d.bias", {E});
    m.x_proj_w = ws.get(q + "x_proj.weight", {R + 2 * N, E});
    m.dt_proj_w = ws.get(q + "dt_proj.weight", {E, R});
    m.dt_proj_b = ws.get(q + "dt_proj.bias", {E});
    m.A_log = ws.get(q + "A_log", {E, N});
    m.refresh_A();
    m.D = ws.get(q + "D", {E});
    m.out_proj_w =
        proj("out_proj.weight", {D, E}, tied_projections ? &tied_projections->out_proj_w : nullptr);
    if (cfg.bias)
        m.out_proj_b =
            proj("out_proj.bias", {D}, tied_projections ? &tied_projections->out_proj_b : nullptr);
    return m;
}

MambaModel::MambaModel(MambaConfig cfg, WeightStore& ws, ModelInfo info)
    : cfg_(cfg), info_(std::move(info)), tokenizer_(cfg.uppercase) {
    const std::int64_t D = cfg.d_model, V = cfg.vocab_size;
    embedding_ = ws.get("embedding.weight", {V, D}, {"embeddings.word_embeddings.weight"});
    for (std::int64_t i = 0; i < cfg.n_layer; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        Layer l;
        l.norm_w = ws.get(p + "norm.weight", {D});
        if (!cfg.rms_norm) l.norm_b = ws.get(p + "norm.bias", {D});
        l.mixer = load_mamba_mixer(ws, p + "mixer.", cfg);
        layers_.push_back(std::move(l));
    }
    norm_f_w_ = ws.get("norm_f.weight", {D});
    if (!cfg.rms_norm) norm_f_b_ = ws.get("norm_f.bias", {D});
    if (cfg.tie_embeddings) {
        // Tied (mamba_ssm's default): a stored lm_head.weight is the same tensor saved twice.
        if (ws.has("lm_head.weight")) (void)ws.get("lm_head.weight", {V, D});
        lm_head_ = embedding_;
    } else {
        lm_head_ = ws.get("lm_head.weight", {V, D});
    }
    for (const auto& [name, t] : parameters()) op_weights_.push_back(t);
    for (const Layer& l : layers_) op_weights_.push_back(l.mixer.A);
}

std::unique_ptr<ModelState> MambaModel::new_state() const {
    auto s = std::make_unique<MambaState>();
    for (std::int64_t i = 0; i < cfg_.n_layer; ++i)
        s->layers.push_back(
            {Tensor({cfg_.d_inner(), cfg_.d_conv}), Tensor({cfg_.d_inner(), cfg_.d_state})});
    return s;
}

Tensor MambaModel::hidden_states(Backend& backend,
                                 std::span<const std::int32_t> ids,
                                 ModelState* state,
                                 std::vector<Tensor>* layers,
                                 bool to_host) const {
    backend.keep_weights(op_weights_);
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.d_model;
    auto* st = dynamic_cast<MambaState*>(state);
    DNASSM_ASSERT(state == nullptr || st != nullptr);
    for (auto id : ids)
        DNASSM_CHECK(id >= 0 && id < cfg_.vocab_size, ErrorKind::kInput,
                     "token id " + std::to_string(id) + " outside the model's vocabulary");
    if (st) st->follow(backend);
    MambaScratch local;
    MambaScratch& ws = st ? st->scratch : local;
    ws.reserve(cfg_, L, backend);
    const Tensor x = ws.x.slice_rows(0, L), out = ws.out.slice_rows(0, L);
    // Returned: memory of its own (the scratch is the next chunk's).
    Tensor hidden = to_host ? Tensor::uninitialized({L, D}) : backend.activation({L, D});
    const Tensor h = ws.h.empty() ? hidden : ws.h.slice_rows(0, L);
    backend.embedding({.L = L,
                       .V = cfg_.vocab_size,
                       .D = D,
                       .ids = ids.data(),
                       .table = embedding_.f32(),
                       .y = x.f32()});
    const NormKind kind = cfg_.rms_norm ? NormKind::kRms : NormKind::kLayer;
    for (std::int64_t i = 0; i < cfg_.n_layer; ++i) {
        const Layer& l = layers_[static_cast<size_t>(i)];
        backend.norm({.kind = kind,
                      .rows = L,
                      .D = D,
                      .x = x.f32(),
                      .weight = l.norm_w.f32(),
                      .bias = l.norm_b.empty() ? nullptr : l.norm_b.f32(),
                      .eps = cfg_.norm_eps,
                      .y = h.f32()});
        mamba_mixer_forward(backend, cfg_, l.mixer, h.f32(), L,
                            st ? &st->layers[static_cast<size_t>(i)] : nullptr, out.f32(), &ws);
        backend.add_inplace(x.f32(), out.f32(), L * D);
        if (layers) {
            layers->push_back(Tensor::uninitialized({L, D}));
            backend.download(x.f32(), layers->back().f32(), L * D);
        }
    }
    backend.norm({.kind = kind,
                  .rows = L,
                  .D = D,
                  .x = x.f32(),
                  .weight = norm_f_w_.f32(),
                  .bias = norm_f_b_.empty() ? nullptr : norm_f_b_.f32(),
                  .eps = cfg_.norm_eps,
                  .y = hidden.f32()});
    return hidden;
}

void MambaModel::logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const {
    backend.keep_weights(op_weights_);
    lm_head_logits(backend, hidden, lm_head_, out);
}

}  // namespace dnassm
