// Internal: Caduceus (bidirectional, RC-equivariant Mamba LM; MODELS.md §3) — the Ph variant
// (BiMamba blocks, width d_model) and the PS variant (RC parameter sharing, width 2·d_model with
// the official [forward | flipped reverse-complement] layout), computed as the released code
// does with fused_add_norm.
#pragma once

#include <nlohmann/json.hpp>

#include "dnassm/model.h"

#include "mamba.h"
#include "weights.h"

namespace dnassm {

struct CaduceusConfig {
    MambaConfig mamba;       // sizes of each direction's Mamba (d_model = one strand)
    bool rcps = false;       // PS (true) or Ph (false)
    bool multiply = false;   // bidirectional_strategy "ew_multiply" (else "add")
    bool weight_tie = true;  // reverse Mamba shares in/out projections with the forward one
    std::vector<std::int32_t> complement;  // token id -> complement id, vocab_size entries
};

/// RMSNorm of the rows of x into y (both {L, width}; y empty for the backward), as every
/// Caduceus norm is.
NormArgs rms_args(const Tensor& x, const Tensor& weight, float eps, const Tensor& y);

CaduceusConfig parse_caduceus_config(const nlohmann::json& j, const std::string& path);

struct CaduceusLayer {
    Tensor norm_w;  // {d_model}
    MambaMixerWeights fwd, rev;
};

class CaduceusModel final : public Model {
  public:
    CaduceusModel(CaduceusConfig cfg, WeightStore& weights, ModelInfo info);

    const ModelInfo& info() const override { return info_; }
    const CharTokenizer& tokenizer() const override { return tokenizer_; }
    bool causal() const override { return false; }
    bool streams() const override { return false; }
    std::int64_t max_length() const override { return 0; }
    std::unique_ptr<ModelState> new_state() const override { return nullptr; }
    /// Hidden states {L, W}: W = d_model (Ph) or 2·d_model (PS: forward half, then the reverse
    /// strand's half flipped over channels, position-aligned).
    void logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const override;

    void set_info(ModelInfo info) { info_ = std::move(info); }
    [[nodiscard]] const CaduceusConfig& config() const { return cfg_; }
    /// The embedding output (width as forward()), for parity tests.
    [[nodiscard]] Tensor embed(std::span<const std::int32_t> ids) const;

    [[nodiscard]] const Tensor& embedding() const { return embedding_; }
    [[nodiscard]] const Tensor& norm_f_weight() const { return norm_f_w_; }
    /// PS: the LM head's weight {V, d_model} for the reverse half (derived from the embedding).
    [[nodiscard]] const Tensor& rc_head() const { return rc_head_; }
    [[nodiscard]] const CaduceusLayer& layer(std::int64_t i) const {
        return layers_[static_cast<size_t>(i)];
    }
    /// Parameter-name prefix of layer i's forward / reverse Mamba ("layers.i.mixer.mamba_fwd.",
    /// with ".submodule" for PS), as in the released checkpoints.
    [[nodiscard]] std::string mixer_prefix(std::int64_t i, bool reverse) const;
    /// Key of the embedding matrix in the released layout.
    [[nodiscard]] std::string embedding_name() const;
    /// The trainable parameters by checkpoint key (storage shared with the model; with weight
    /// tying the reverse Mamba's in/out projections are the forward one's and appear once).
    [[nodiscard]] std::map<std::string, Tensor> parameters() const;
    /// Recomputes A = −exp(A_log) of every mixer after the parameters changed.
    void refresh_derived();
    /// Writes a model directory: the source config.json (plus provenance) and the parameters
    /// under the released key names, so it loads like the original checkpoint.
    void save(const std::string& dir, const nlohmann::json& provenance) const;
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
    // BiMamba over h {L, d}: fwd(h) (+|*) flip_L(rev(flip_L(h))).
    void bimamba(
        Backend& backend, const CaduceusLayer& l, const float* h, std::int64_t L, float* out) const;

    CaduceusConfig cfg_;
    ModelInfo info_;
    CharTokenizer tokenizer_{true};
    Tensor embedding_, norm_f_w_;
    Tensor rc_head_;  // PS only: the LM head's weight for the reverse half (refresh_derived)
    std::vector<CaduceusLayer> layers_;
    std::vector<Tensor> op_weights_;
};

}  // namespace dnassm
