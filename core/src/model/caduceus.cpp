#include "caduceus.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/safetensors.h"

#include "window_activations.h"

namespace dnassm {

NormArgs rms_args(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) {
    return {.kind = NormKind::kRms,
            .rows = x.dim(0),
            .D = x.dim(1),
            .x = x.f32(),
            .weight = weight.f32(),
            .eps = eps,
            .y = y.empty() ? nullptr : y.f32()};
}

CaduceusConfig parse_caduceus_config(const nlohmann::json& j, const std::string& path) {
    CaduceusConfig c;
    std::string format;
    c.mamba = parse_mamba_config(j, path, format);
    DNASSM_CHECK(c.mamba.rms_norm, ErrorKind::kModel,
                 path + ": Caduceus with LayerNorm is not supported (released models use RMSNorm)");
    DNASSM_CHECK(j.value("fused_add_norm", true), ErrorKind::kModel,
                 path +
                     ": fused_add_norm false is not supported (the released models use the "
                     "fused path, which computes a different function for RCPS)");
    DNASSM_CHECK(j.value("bidirectional", true), ErrorKind::kModel,
                 path + ": Caduceus with bidirectional false is not supported");
    const std::string strategy = j.value("bidirectional_strategy", std::string("add"));
    DNASSM_CHECK(
        strategy == "add" || strategy == "ew_multiply", ErrorKind::kModel,
        path + ": bidirectional_strategy must be add or ew_multiply, not '" + strategy + "'");
    c.multiply = strategy == "ew_multiply";
    c.weight_tie = j.value("bidirectional_weight_tie", true);
    c.rcps = j.value("rcps", false);
    const std::int64_t V = c.mamba.vocab_size;
    c.complement.resize(static_cast<size_t>(V));
    for (std::int64_t i = 0; i < V; ++i)
        c.complement[static_cast<size_t>(i)] = static_cast<std::int32_t>(i);
    c.complement[7] = 10;  // A<->T, C<->G (the tokenizer's map; others fixed)
    c.complement[10] = 7;
    c.complement[8] = 9;
    c.complement[9] = 8;
    if (j.contains("complement_map")) {
        const auto& m = j["complement_map"];
        DNASSM_CHECK(m.is_object(), ErrorKind::kModel, path + ": complement_map must be an object");
        for (auto it = m.begin(); it != m.end(); ++it) {
            std::int64_t k = -1;
            const std::string& key = it.key();
            const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), k);
            DNASSM_CHECK(ec == std::errc() && end == key.data() + key.size(), ErrorKind::kModel,
                         path + ": complement_map key '" + key + "' is not a token id");
            DNASSM_CHECK(it.value().is_number_integer() && k >= 0 && k < V &&
                             it.value().get<std::int64_t>() >= 0 &&
                             it.value().get<std::int64_t>() < V,
                         ErrorKind::kModel, path + ": complement_map entry out of the vocabulary");
            c.complement[static_cast<size_t>(k)] = it.value().get<std::int32_t>();
        }
    }
    return c;
}

CaduceusModel::CaduceusModel(CaduceusConfig cfg, WeightStore& ws, ModelInfo info)
    : cfg_(std::move(cfg)), info_(std::move(info)) {
    const MambaConfig& m = cfg_.mamba;
    const std::int64_t D = m.d_model, V = m.vocab_size;
    embedding_ = ws.get(cfg_.rcps ? "embeddings.word_embeddings.embedding.weight"
                                  : "embeddings.word_embeddings.weight",
                        {V, D});
    const std::string mixer = cfg_.rcps ? ".mixer.submodule." : ".mixer.";
    for (std::int64_t i = 0; i < m.n_layer; ++i) {
        const std::string p = "layers." + std::to_string(i);
        CaduceusLayer l;
        l.norm_w = ws.get(p + ".norm.weight", {D});
        l.fwd = load_mamba_mixer(ws, p + mixer + "mamba_fwd.", m);
        l.rev =
            load_mamba_mixer(ws, p + mixer + "mamba_rev.", m, cfg_.weight_tie ? &l.fwd : nullptr);
        layers_.push_back(std::move(l));
    }
    norm_f_w_ = ws.get("norm_f.weight", {D});
    // The tied LM head and the complement-map buffers are stored too; check and consume them.
    const std::string head = cfg_.rcps ? "lm_head.lm_head.weight" : "lm_head.weight";
    if (ws.has(head)) (void)ws.get(head, {V, D});
    for (const char* buf :
         {"embeddings.word_embeddings.complement_map", "lm_head.complement_map"}) {
        if (!ws.has(buf)) continue;
        const Tensor t = ws.get(buf, {V});
        DNASSM_CHECK(t.dtype() == DType::kI32, ErrorKind::kModel,
                     ws.path() + ": " + buf + " must be an integer tensor");
        for (std::int64_t k = 0; k < V; ++k)
            DNASSM_CHECK(t.data<std::int32_t>()[k] == cfg_.complement[static_cast<size_t>(k)],
                         ErrorKind::kModel,
                         ws.path() + ": " + buf + " disagrees with config.json's complement_map");
    }
    if (cfg_.rcps) rc_head_ = Tensor({cfg_.mamba.vocab_size, cfg_.mamba.d_model});
    refresh_derived();
    for (const auto& [name, t] : parameters()) op_weights_.push_back(t);
    for (const CaduceusLayer& l : layers_)
        op_weights_.insert(op_weights_.end(), {l.fwd.A, l.rev.A});
    if (cfg_.rcps) op_weights_.push_back(rc_head_);
}

std::string CaduceusModel::mixer_prefix(std::int64_t i, bool reverse) const {
    return "layers." + std::to_string(i) + (cfg_.rcps ? ".mixer.submodule." : ".mixer.") +
           (reverse ? "mamba_rev." : "mamba_fwd.");
}

std::string CaduceusModel::embedding_name() const {
    return cfg_.rcps ? "embeddings.word_embeddings.embedding.weight"
                     : "embeddings.word_embeddings.weight";
}

std::map<std::string, Tensor> CaduceusModel::parameters() const {
    std::map<std::string, Tensor> p{{embedding_name(), embedding_}, {"norm_f.weight", norm_f_w_}};
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(layers_.size()); ++i) {
        const CaduceusLayer& l = layers_[static_cast<size_t>(i)];
        p["layers." + std::to_string(i) + ".norm.weight"] = l.norm_w;
        add_mixer_parameters(p, mixer_prefix(i, false), l.fwd);
        add_mixer_parameters(p, mixer_prefix(i, true), l.rev, cfg_.weight_tie);
    }
    return p;
}

void CaduceusModel::refresh_derived() {
    for (auto& l : layers_) {
        l.fwd.refresh_A();
        l.rev.refresh_A();
    }
    if (!cfg_.rcps) return;
    // The PS head's reverse half: flip_C(h[:, D:]) · W[comp, :]^T == h[:, D:] · (flip_C(W[comp,
    // :]))^T, so its weight is the complement's embedding row with its channels flipped.
    const std::int64_t V = cfg_.mamba.vocab_size, D = cfg_.mamba.d_model;
    for (std::int64_t v = 0; v < V; ++v) {
        const float* src = embedding_.f32() + cfg_.complement[static_cast<size_t>(v)] * D;
        for (std::int64_t c = 0; c < D; ++c) rc_head_.f32()[v * D + c] = src[D - 1 - c];
    }
}

void CaduceusModel::save(const std::string& dir, const nlohmann::json& provenance) const {
    std::filesystem::create_directories(dir);
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, t] : parameters())  // conv weights in PyTorch's {E, 1, W} layout
        tensors[name] = name.find("conv1d.weight") != std::string::npos
                            ? t.reshape({cfg_.mamba.d_inner(), 1, cfg_.mamba.d_conv})
                            : t;
    write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
    nlohmann::json c = nlohmann::json::parse(read_file(info_.path + "/config.json"));
    c["provenance"] = provenance;
    write_file(dir + "/config.json", c.dump(2) + "\n");
}

Tensor CaduceusModel::embed(std::span<const std::int32_t> ids) const {
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.mamba.d_model;
    const std::int64_t V = cfg_.mamba.vocab_size;
    Tensor x({L, cfg_.rcps ? 2 * D : D});
    const std::int64_t W = x.dim(1);
    for (std::int64_t t = 0; t < L; ++t) {
        const std::int32_t id = ids[static_cast<size_t>(t)];
        DNASSM_CHECK(id >= 0 && id < V, ErrorKind::kInput, "token id out of the vocabulary");
        std::copy_n(embedding_.f32() + id * D, D, x.f32() + t * W);
        if (cfg_.rcps) {  // rc half, position-aligned: channel-reversed E[comp(x_t)]
            const float* e = embedding_.f32() + cfg_.complement[static_cast<size_t>(id)] * D;
            for (std::int64_t c = 0; c < D; ++c) x.f32()[t * W + D + c] = e[D - 1 - c];
        }
    }
    return x;
}

void CaduceusModel::bimamba(
    Backend& backend, const CaduceusLayer& l, const float* h, std::int64_t L, float* out) const {
    const std::int64_t D = cfg_.mamba.d_model;
    mamba_mixer_forward(backend, cfg_.mamba, l.fwd, h, L, nullptr, out);
    const Tensor flipped = backend.activation({L, D}), yr = backend.activation({L, D});
    auto flip = [&](const float* src, float* dst) {
        backend.copy_block({.rows = L,
                            .cols = D,
                            .src = src,
                            .ld_src = D,
                            .dst = dst,
                            .ld_dst = D,
                            .flip_rows = true});
    };
    flip(h, flipped.f32());
    mamba_mixer_forward(backend, cfg_.mamba, l.rev, flipped.f32(), L, nullptr, yr.f32());
    flip(yr.f32(), flipped.f32());  // the reverse strand's output back in forward order
    if (cfg_.multiply)
        backend.mul_inplace(out, flipped.f32(), L * D);
    else
        backend.add_inplace(out, flipped.f32(), L * D);
}

Tensor CaduceusModel::hidden_states(Backend& backend,
                                    std::span<const std::int32_t> ids,
                                    ModelState*,
                                    std::vector<Tensor>* layers,
                                    bool to_host) const {
    backend.keep_weights(op_weights_);
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.mamba.d_model;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    // Activations stay with the backend (on a GPU, in device memory); the layout work (column
    // halves, flips over length and channels) is done by backend ops.
    const WindowActivations acts(backend, L);
    constexpr Flip kRc = Flip::kLengthAndChannels;
    auto rms = [&](const Tensor& x, const Tensor& w) {
        Tensor y = acts.make(x.dim(1));
        backend.norm(rms_args(x, w, cfg_.mamba.norm_eps, y));
        return y;
    };
    const Tensor tokens = embed(ids);
    const std::int64_t W = tokens.dim(1);
    Tensor h = acts.upload(tokens.f32(), W), res = acts.zeros(W);  // no residual before block 0
    for (const CaduceusLayer& l : layers_) {
        if (!cfg_.rcps) {
            res = acts.sum(h, res);
            const Tensor hn = rms(res, l.norm_w);
            bimamba(backend, l, hn.f32(), L, h.f32());
        } else {
            // The released fused path (MODELS.md §3.3): the forward strand continues from the
            // SECOND half, the reverse strand from the first half, flipped.
            const Tensor res_fwd = acts.sum(acts.part(h, D, D), acts.part(res, D, D));
            const Tensor a = acts.sum(acts.part(h, 0, D), acts.part(res, 0, D));
            const Tensor res_rc = acts.part(a, 0, D, kRc);
            const Tensor hs_fwd = rms(res_fwd, l.norm_w), hs_rc = rms(res_rc, l.norm_w);
            acts.copy(res_fwd, 0, res, 0, D);
            acts.copy(a, 0, res, D, D);
            const Tensor out_f = acts.make(D), out_r = acts.make(D);
            bimamba(backend, l, hs_fwd.f32(), L, out_f.f32());
            bimamba(backend, l, hs_rc.f32(), L, out_r.f32());
            acts.copy(out_f, 0, h, 0, D);
            acts.copy(out_r, 0, h, D, D, kRc);
        }
        if (layers) layers->push_back(acts.to_host(acts.sum(h, res)));
    }
    const Tensor total = acts.sum(h, res);
    Tensor out;
    if (!cfg_.rcps) {
        out = rms(total, norm_f_w_);
    } else {
        out = acts.make(W);
        acts.copy(rms(acts.part(total, 0, D), norm_f_w_), 0, out, 0, D);
        acts.copy(rms(acts.part(total, D, D, kRc), norm_f_w_), 0, out, D, D, kRc);
    }
    return to_host ? acts.to_host(out) : out;
}

void CaduceusModel::logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const {
    backend.keep_weights(op_weights_);
    const std::int64_t L = hidden.dim(0), D = cfg_.mamba.d_model, V = cfg_.mamba.vocab_size;
    backend.linear({.M = L,
                    .K = D,
                    .N = V,
                    .x = hidden.f32(),
                    .ld_x = hidden.dim(1),
                    .weight = embedding_.f32(),
                    .y = out.f32(),
                    .ld_y = V});
    if (cfg_.rcps)  // + the reverse half through rc_head_ (refresh_derived)
        backend.linear({.M = L,
                        .K = D,
                        .N = V,
                        .x = hidden.f32() + D,
                        .ld_x = hidden.dim(1),
                        .weight = rc_head_.f32(),
                        .y = out.f32(),
                        .ld_y = V,
                        .accumulate = true});
}

}  // namespace dnassm
