// Internal: HyenaDNA language model (standalone_hyenadna.py HyenaDNAModel / LMBackbone,
// MODELS.md §1): pre-norm blocks of an order-2 Hyena operator and a GELU MLP.
#pragma once

#include <nlohmann/json.hpp>

#include "dnassm/model.h"

#include "hyena_filter_cache.h"
#include "weights.h"

namespace dnassm {

struct HyenaConfig {
    std::int64_t d_model = 0, n_layer = 0, d_inner = 0, vocab_size = 16;  // vocab padded
    std::int64_t l_max = 0;  // filter / positional-embedding length
    std::int64_t emb_dim = 5, filter_order = 64, short_filter = 3, num_inner_mlps = 2;
    float shift = 0.05f;  // ExponentialModulation shift (§1.5.1)
    bool modulate = true;
    float norm_eps = 1e-5f;
    bool tie_embeddings = true;
    std::int64_t n_classes = 0;  // pooled classification head ("head.*"), 0 = none
};

/// Parses the HyenaDNA config.json (original repo/Lightning form with a "layer" object, the HF
/// "-hf" form with flat fields, or dnassm's own); `format` is set to which it was.
HyenaConfig parse_hyena_config(const nlohmann::json& j,
                               const std::string& path,
                               std::string& format);

struct HyenaLayer {
    Tensor norm1_w, norm1_b, norm2_w, norm2_b;
    Tensor in_proj_w, in_proj_b;        // {3D, D}, {3D}
    Tensor short_w, short_b;            // {3D, 3}, {3D}
    Tensor filter_bias;                 // {D}
    Tensor out_proj_w, out_proj_b;      // {D, D}, {D}
    Tensor fc1_w, fc1_b, fc2_w, fc2_b;  // {E, D}, {E}, {D, E}, {D}
    // Implicit filter (§1.5.1): positional embedding z {l_max, emb_dim} and t {l_max} (stored
    // buffers or the formulas), Sin MLP emb_dim -> F -> ... -> F with one shared frequency,
    // output projection {D, F} and modulation deltas {D}.
    Tensor z, t, freq;
    std::vector<Tensor> mlp_w, mlp_b;  // {F, emb_dim}, {F, F}, ...; biases {F}
    Tensor filter_out_w, deltas;
};

/// Loads a layer's implicit-filter tensors (recomputing z, t, deltas when absent).
void load_hyena_filter(const HyenaConfig& cfg,
                       WeightStore& ws,
                       const std::string& prefix,
                       HyenaLayer& l);

/// The basis {L, F} of a layer's filter: the implicit MLP's last Sin layer on positions [0, L).
/// Training passes pre_acts/acts to keep every Sin layer's input and output (acts.back() is the
/// basis); inference computes each layer in place.
Tensor hyena_filter_basis(Backend& backend,
                          const HyenaConfig& cfg,
                          const HyenaLayer& l,
                          std::int64_t L,
                          std::vector<Tensor>* pre_acts = nullptr,
                          std::vector<Tensor>* acts = nullptr);

/// The long-convolution arguments of a layer over L positions (x0, w {L, D}; basis {L, F}).
HyenaConvArgs hyena_conv_args(const HyenaConfig& cfg,
                              const HyenaLayer& l,
                              std::int64_t L,
                              const float* x0,
                              const float* w,
                              const float* basis,
                              float* y);

/// The modulated filter k {L, D} itself (for tests and inspection; forward never stores it).
Tensor hyena_filter(Backend& backend, const HyenaConfig& cfg, const HyenaLayer& l, std::int64_t L);

class HyenaModel final : public Model {
  public:
    HyenaModel(HyenaConfig cfg, WeightStore& weights, ModelInfo info);

    const ModelInfo& info() const override { return info_; }
    const CharTokenizer& tokenizer() const override { return tokenizer_; }
    bool causal() const override { return true; }
    bool streams() const override { return false; }
    std::int64_t max_length() const override { return cfg_.l_max; }
    std::unique_ptr<ModelState> new_state() const override { return nullptr; }
    void logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const override;

    std::int64_t limit_context(std::int64_t bases) override;

    void set_info(ModelInfo info) { info_ = std::move(info); }
    [[nodiscard]] const HyenaConfig& config() const { return cfg_; }
    [[nodiscard]] const HyenaLayer& layer(std::int64_t i) const {
        return layers_[static_cast<size_t>(i)];
    }
    [[nodiscard]] const Tensor& embedding() const { return embedding_; }
    [[nodiscard]] const Tensor& ln_f_weight() const { return ln_f_w_; }
    [[nodiscard]] const Tensor& ln_f_bias() const { return ln_f_b_; }
    [[nodiscard]] const Tensor& lm_head() const { return lm_head_; }
    /// The trainable parameters by the key names save() writes (storage shared with the model;
    /// the Sin frequency shared by the implicit MLP appears once, as implicit_filter.1.freq).
    [[nodiscard]] std::map<std::string, Tensor> parameters() const;
    /// Writes a dnassm-format model directory (config.json + model.safetensors) that loads back
    /// to the same outputs; z and t are recomputed at load, the modulation deltas are stored.
    void save(const std::string& dir, const nlohmann::json& provenance) const;
    /// The pooled classification head (mean over positions -> Linear), {n_classes}.
    [[nodiscard]] std::vector<float> classify(Backend& backend, const Tensor& hidden) const;
    /// Every tensor forward() hands to backend ops as a weight (parameters and derived or
    /// buffer tensors), for Backend::keep_weights.
    [[nodiscard]] const std::vector<Tensor>& op_weights() const { return op_weights_; }

  protected:
    Tensor hidden_states(Backend& backend,
                         std::span<const std::int32_t> ids,
                         ModelState* state,
                         std::vector<Tensor>* layers,
                         bool to_host) const override;

  private:
    HyenaConfig cfg_;
    ModelInfo info_;
    CharTokenizer tokenizer_{false};
    Tensor embedding_, ln_f_w_, ln_f_b_, lm_head_, head_w_, head_b_;
    std::vector<HyenaLayer> layers_;
    std::int64_t filter_taps_ = 0;  // > 0: long filters truncated to this many taps
    std::vector<Tensor> op_weights_;
    std::vector<std::unique_ptr<HyenaFilterCache>> filter_caches_;  // one per layer
};

}  // namespace dnassm
