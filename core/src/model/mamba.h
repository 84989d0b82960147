// Internal: Mamba-1 language model (mamba_ssm MambaLMHeadModel / MixerModel, MODELS.md §2).
#pragma once

#include <map>

#include <nlohmann/json.hpp>

#include "dnassm/model.h"

#include "weights.h"

namespace dnassm {

struct MambaConfig {
    std::int64_t d_model = 0, n_layer = 0, vocab_size = 0;  // vocab_size padded
    std::int64_t d_state = 16, d_conv = 4, expand = 2, dt_rank = 0;
    bool rms_norm = true, conv_bias = true, bias = false, tie_embeddings = true;
    float norm_eps = 1e-5f;
    bool uppercase = true;
    [[nodiscard]] std::int64_t d_inner() const { return expand * d_model; }
};

/// Parses mamba_ssm's published config.json or dnassm's own; `format` is set to which it was.
MambaConfig parse_mamba_config(const nlohmann::json& j,
                               const std::string& path,
                               std::string& format);

struct MambaMixerWeights {
    Tensor in_proj_w, in_proj_b;  // {2E, D}, {2E} or empty
    Tensor conv_w, conv_b;        // {E, W}, {E} or empty
    Tensor x_proj_w;              // {R + 2N, E}
    Tensor dt_proj_w, dt_proj_b;  // {E, R}, {E}
    Tensor A_log;                 // {E, N}, the stored (and trained) parameter
    Tensor A;                     // {E, N} = -exp(A_log), recomputed by refresh_A()
    void refresh_A();
    Tensor D;                       // {E}
    Tensor out_proj_w, out_proj_b;  // {D, E}, {D} or empty
};

/// Loads one mixer's weights under prefix `q` ("layers.0.mixer."). With `tied_projections`, the
/// in/out projections are those tensors (Caduceus' weight-tied reverse Mamba); copies stored
/// under this prefix are accepted and must exist only as duplicates.
MambaMixerWeights load_mamba_mixer(class WeightStore& ws,
                                   const std::string& q,
                                   const MambaConfig& cfg,
                                   const MambaMixerWeights* tied_projections = nullptr);

struct MambaLayerState {
    Tensor conv;  // {E, W}: the last W pre-conv inputs (mamba_ssm conv_state)
    Tensor ssm;   // {E, N}
};

/// Activation buffers of one forward call, kept in the stream state so that chunk after chunk
/// reuses the same memory (large fresh allocations cost a page fault per 4 KiB). They are the
/// backend's activations (device memory on a GPU), made again for another backend.
struct MambaScratch {
    Tensor x, h, out, xz, xc, xdbl, dt, y;
    std::int64_t rows = 0;
    std::string backend;  // Backend::name() of the backend that made them
    void reserve(const MambaConfig& cfg, std::int64_t L, Backend& be);
};

/// One Mamba mixer over a chunk h {L, D} -> out {L, D}; `state` may be null (zeros, discarded).
/// `scratch` must have been reserved for at least L rows (a local one is used when null).
void mamba_mixer_forward(Backend& backend,
                         const MambaConfig& cfg,
                         const MambaMixerWeights& w,
                         const float* h,
                         std::int64_t L,
                         MambaLayerState* state,
                         float* out,
                         MambaScratch* scratch = nullptr);

class MambaState final : public ModelState {
  public:
    std::vector<MambaLayerState> layers;
    MambaScratch scratch;
    [[nodiscard]] std::vector<std::pair<std::string, Tensor>> tensors() const override;
    /// Moves the layer states into the backend's activations when those are device memory (a
    /// GPU), at the stream's first chunk, so no op copies them to the host between chunks. A
    /// state then stays with that device; Error(kUsage) if a host backend is given it later.
    void follow(Backend& be);
};

struct MambaLayerWeights {
    Tensor norm_w, norm_b;
    MambaMixerWeights mixer;
};

/// Adds a mixer's trainable tensors to `out` under prefix + "in_proj.weight", ... (empty ones
/// skipped; with `shared_projections` the in/out projections are left out: they belong to the
/// mixer they are tied to).
void add_mixer_parameters(std::map<std::string, Tensor>& out,
                          const std::string& prefix,
                          const MambaMixerWeights& m,
                          bool shared_projections = false);

class MambaModel final : public Model {
  public:
    MambaModel(MambaConfig cfg, WeightStore& weights, ModelInfo info);

    const ModelInfo& info() const override { return info_; }
    const CharTokenizer& tokenizer() const override { return tokenizer_; }
    bool causal() const override { return true; }
    bool streams() const override { return true; }
    std::int64_t max_length() const override { return 0; }
    std::unique_ptr<ModelState> new_state() const override;
    void logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const override;

    void set_info(ModelInfo info) { info_ = std::move(info); }
    /// Recomputes derived tensors (A = −exp(A_log)) after the parameters changed (training).
    void refresh_derived();
    /// The trainable parameters by canonical name (sharing storage with the model).
    [[nodiscard]] std::map<std::string, Tensor> parameters() const;
    /// Writes the model in dnassm's format: config.json (with `provenance`) + model.safetensors.
    void save(const std::string& dir, const nlohmann::json& provenance) const;
    [[nodiscard]] const MambaConfig& config() const { return cfg_; }
    [[nodiscard]] const MambaMixerWeights& mixer(std::int64_t i) const { return layers_[i].mixer; }
    [[nodiscard]] const MambaLayerWeights& layer(std::int64_t i) const { return layers_[i]; }
    [[nodiscard]] const Tensor& embedding() const { return embedding_; }
    [[nodiscard]] const Tensor& norm_f_weight() const { return norm_f_w_; }
    [[nodiscard]] const Tensor& norm_f_bias() const { return norm_f_b_; }
    [[nodiscard]] const Tensor& lm_head() const { return lm_head_; }
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
    using Layer = MambaLayerWeights;
    MambaConfig cfg_;
    ModelInfo info_;
    CharTokenizer tokenizer_;
    Tensor embedding_, norm_f_w_, norm_f_b_, lm_head_;
    std::vector<Layer> layers_;
    std::vector<Tensor> op_weights_;
};

}  // namespace dnassm
