#include "caduceus.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/safetensors.h"

namespace dnassm {

// dst[t, c] = src[L−1−t, d−1−c] (flip over length and channels: MODELS.md's F), src row stride ld.
void flip_lc(const float* src, std::int64_t ld, std::int64_t L, std::int64_t d, float* dst) {
    for (std::int64_t t = 0; t < L; ++t) {
        const float* s = src + (L - 1 - t) * ld;
        float* o = dst + t * d;
        for (std::int64_t c = 0; c < d; ++c) o[c] = s[d - 1 - c];
    }
}

// dst[t, :] = src[L−1−t, :].
void flip_l(const float* src, std::int64_t L, std::int64_t d, float* dst) {
    for (std::int64_t t = 0; t < L; ++t) std::copy_n(src + (L - 1 - t) * d, d, dst + t * d);
}

// Copies columns [c0, c0 + d) of x {L, ld} into a contiguous {L, d}.
Tensor columns(const Tensor& x, std::int64_t c0, std::int64_t d) {
    const std::int64_t L = x.dim(0), ld = x.dim(1);
    Tensor out({L, d});
    for (std::int64_t t = 0; t < L; ++t) std::copy_n(x.f32() + t * ld + c0, d, out.f32() + t * d);
    return out;
}

void put_columns(Tensor& x, std::int64_t c0, const Tensor& part) {
    const std::int64_t L = x.dim(0), ld = x.dim(1), d = part.dim(1);
    for (std::int64_t t = 0; t < L; ++t) std::copy_n(part.f32() + t * d, d, x.f32() + t * ld + c0);
}

Tensor flipped_l(const Tensor& x) {
    Tensor y({x.dim(0), x.dim(1)});
    flip_l(x.f32(), x.dim(0), x.dim(1), y.f32());
    return y;
}

Tensor flipped_lc(const Tensor& x) {
    Tensor y({x.dim(0), x.dim(1)});
    flip_lc(x.f32(), x.dim(1), x.dim(0), x.dim(1), y.f32());
    return y;
}

Tensor sum_of(const Tensor& a, const Tensor& b) {
    Tensor s = a.clone();
    for (std::int64_t i = 0; i < s.numel(); ++i) s.f32()[i] += b.f32()[i];
    return s;
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

Tensor CaduceusModel::forward(Backend& backend,
                              std::span<const std::int32_t> ids,
                              ModelState*,
                              std::vector<Tensor>* layers) const {
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = cfg_.mamba.d_model;
    DNASSM_CHECK(L >= 1, ErrorKind::kInput, "empty sequence");
    // Activations stay with the backend (on a GPU, in device memory); the layout work (column
    // halves, flips over length and channels) is done by backend ops on {L, width} blocks.
    auto act = [&](std::int64_t width) { return backend.activation({L, width}); };
    // dst[:, d0 : d0 + cols] = src[:, s0 : s0 + cols], flipped over length and channels if rc.
    auto copy = [&](const Tensor& src, std::int64_t s0, const Tensor& dst, std::int64_t d0,
                    std::int64_t cols, bool rc) {
        backend.copy_block({.rows = L,
                            .cols = cols,
                            .src = src.f32() + s0,
                            .ld_src = src.dim(1),
                            .dst = dst.f32() + d0,
                            .ld_dst = dst.dim(1),
                            .flip_rows = rc,
                            .flip_cols = rc});
    };
    auto part = [&](const Tensor& x, std::int64_t c0, std::int64_t cols, bool rc = false) {
        Tensor y = act(cols);
        copy(x, c0, y, 0, cols, rc);
        return y;
    };
    auto sum = [&](const Tensor& a, const Tensor& b) {
        Tensor y = part(a, 0, a.dim(1));
        backend.add_inplace(y.f32(), b.f32(), y.numel());
        return y;
    };
    auto rms = [&](const Tensor& x, const Tensor& w) {
        Tensor y = act(x.dim(1));
        backend.norm({.kind = NormKind::kRms,
                      .rows = L,
                      .D = x.dim(1),
                      .x = x.f32(),
                      .weight = w.f32(),
                      .eps = cfg_.mamba.norm_eps,
                      .y = y.f32()});
        return y;
    };
    auto to_host = [&](const Tensor& x) {
        Tensor y = Tensor::uninitialized(x.shape());
        backend.download(x.f32(), y.f32(), x.numel());
        return y;
    };
    const Tensor tokens = embed(ids);
    const std::int64_t W = tokens.dim(1);
    Tensor h = act(W), res = act(W);
    backend.upload(tokens.f32(), h.f32(), L * W);
    backend.zero(res.f32(), L * W);  // the first fused add+norm sees no residual
    for (const CaduceusLayer& l : layers_) {
        if (!cfg_.rcps) {
            res = sum(h, res);
            const Tensor hn = rms(res, l.norm_w);
            bimamba(backend, l, hn.f32(), L, h.f32());
        } else {
            // The released fused path (MODELS.md §3.3): the forward strand continues from the
            // SECOND half, the reverse strand from the first half, flipped.
            const Tensor res_fwd = sum(part(h, D, D), part(res, D, D));
            const Tensor a = sum(part(h, 0, D), part(res, 0, D));
            const Tensor res_rc = part(a, 0, D, true);
            const Tensor hs_fwd = rms(res_fwd, l.norm_w), hs_rc = rms(res_rc, l.norm_w);
            copy(res_fwd, 0, res, 0, D, false);
            copy(a, 0, res, D, D, false);
            const Tensor out_f = act(D), out_r = act(D);
            bimamba(backend, l, hs_fwd.f32(), L, out_f.f32());
            bimamba(backend, l, hs_rc.f32(), L, out_r.f32());
            copy(out_f, 0, h, 0, D, false);
            copy(out_r, 0, h, D, D, true);
        }
        if (layers) layers->push_back(to_host(sum(h, res)));
    }
    const Tensor total = sum(h, res);
    if (!cfg_.rcps) return to_host(rms(total, norm_f_w_));
    const Tensor out = act(W);
    copy(rms(part(total, 0, D), norm_f_w_), 0, out, 0, D, false);
    copy(rms(part(total, D, D, true), norm_f_w_), 0, out, D, D, true);
    return to_host(out);
}

Tensor CaduceusModel::logits(Backend& backend, const Tensor& hidden) const {
    const std::int64_t L = hidden.dim(0), D = cfg_.mamba.d_model, V = cfg_.mamba.vocab_size;
    Tensor out({L, V});
    backend.linear({.M = L,
                    .K = D,
                    .N = V,
                    .x = hidden.f32(),
                    .ld_x = hidden.dim(1),
                    .weight = embedding_.f32(),
                    .y = out.f32(),
                    .ld_y = V});
    if (cfg_.rcps) {
        // + flip_C(h[:, D:]) · W[comp, :]^T  ==  h[:, D:] · (flip_C(W[comp, :]))^T
        Tensor w({V, D});
        for (std::int64_t v = 0; v < V; ++v) {
            const float* src = embedding_.f32() + cfg_.complement[static_cast<size_t>(v)] * D;
            for (std::int64_t c = 0; c < D; ++c) w.f32()[v * D + c] = src[D - 1 - c];
        }
        backend.linear({.M = L,
                        .K = D,
                        .N = V,
                        .x = hidden.f32() + D,
                        .ld_x = hidden.dim(1),
                        .weight = w.f32(),
                        .y = out.f32(),
                        .ld_y = V,
                        .accumulate = true});
    }
    return out;
}

}  // namespace dnassm
