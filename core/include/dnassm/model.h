// dnassm::Model — a DNA language model loaded from a directory with config.json and
// model.safetensors (dnassm's own format or a published checkpoint's, see MODELS.md).
//
// forward() maps token ids {L} to per-base hidden states {L, D} after the final norm. Causal
// models carry a ModelState from one chunk to the next, so a long sequence run chunk by chunk
// gives the same numbers as one pass.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/task_head.h"
#include "dnassm/tensor.h"
#include "dnassm/tokenizer.h"

namespace dnassm {

struct ModelInfo {
    std::string family;        // "mamba"
    std::string format;        // "dnassm" or "mamba_ssm" (the published layout)
    std::string path;          // the model directory
    std::int64_t d_model = 0;  // width of the hidden states
    std::int64_t n_layer = 0;
    std::int64_t vocab_size = 0;  // padded vocabulary (rows of the LM head)
    std::int64_t n_params = 0;    // unique learnable scalars (tied tensors counted once)
    std::string details;          // one line of architecture hyper-parameters
    std::string provenance;       // where the weights came from
    bool rc_halves = false;       // hidden = [forward | reverse-complement flipped] (Caduceus-PS)
};

/// Recurrent state carried between chunks (per layer conv and SSM states for Mamba).
class ModelState {
  public:
    virtual ~ModelState() = default;
    /// The tensors that make up the state, by name ("layers.0.conv", ...), sharing its storage.
    /// They may be device memory once a GPU backend has run the state (Backend::download reads
    /// them); those of a fresh state are zero-filled host memory. See stream_state.h.
    [[nodiscard]] virtual std::vector<std::pair<std::string, Tensor>> tensors() const = 0;
};

class Model {
  public:
    virtual ~Model() = default;
    /// Loads `dir` (or the config.json / model.safetensors inside it). Errors are Error(kModel)
    /// naming the file and problem.
    static std::unique_ptr<Model> load(const std::string& dir);

    [[nodiscard]] virtual const ModelInfo& info() const = 0;
    [[nodiscard]] virtual const CharTokenizer& tokenizer() const = 0;
    [[nodiscard]] virtual bool causal() const = 0;
    /// True when forward() can carry state across chunks (Mamba); false when long inputs must
    /// be tiled into windows (Hyena).
    [[nodiscard]] virtual bool streams() const = 0;
    /// Longest input forward() accepts (HyenaDNA's l_max); 0 = unlimited.
    [[nodiscard]] virtual std::int64_t max_length() const = 0;
    /// A fresh recurrent state, or null for models that do not stream.
    [[nodiscard]] virtual std::unique_ptr<ModelState> new_state() const = 0;

    /// ids {L} -> hidden {L, D}. `state` (may be null: fresh) is advanced past these tokens.
    /// `layers`, when given, receives the residual stream after each block ({L, D} each).
    [[nodiscard]] Tensor forward(Backend& backend,
                                 std::span<const std::int32_t> ids,
                                 ModelState* state,
                                 std::vector<Tensor>* layers = nullptr) const {
        return hidden_states(backend, ids, state, layers, true);
    }
    /// forward() with the hidden states left where `backend` keeps its activations (on a GPU,
    /// device memory that only backend ops and downloads read), for callers that compute on them
    /// there, or copy them down while the next window runs (Backend::download_async).
    [[nodiscard]] Tensor forward_activation(Backend& backend,
                                            std::span<const std::int32_t> ids,
                                            ModelState* state) const {
        return hidden_states(backend, ids, state, nullptr, false);
    }
    /// hidden {L, D} -> logits {L, V} through the LM head, written into `out` (V = info().
    /// vocab_size). Either may be host memory or an activation of `backend`.
    virtual void logits_into(Backend& backend, const Tensor& hidden, const Tensor& out) const = 0;
    /// The same into new host memory.
    [[nodiscard]] Tensor logits(Backend& backend, const Tensor& hidden) const;

    /// Makes every output depend on at most the `bases` preceding bases (HyenaDNA: truncates the
    /// long filters), so tiled outputs no longer depend on the window size. Returns the resulting
    /// receptive field; Error(kUsage) for models that cannot (streaming models need not).
    virtual std::int64_t limit_context(std::int64_t bases);

    /// The fine-tuned task head stored with the model (`dnassm finetune`), or null.
    [[nodiscard]] const TaskHead* task_head() const { return task_head_.get(); }
    void set_task_head(std::shared_ptr<const TaskHead> head) { task_head_ = std::move(head); }

  protected:
    /// What each model implements: forward() (to_host: the result in host memory of its own) and
    /// forward_activation() (an activation of `backend`).
    [[nodiscard]] virtual Tensor hidden_states(Backend& backend,
                                               std::span<const std::int32_t> ids,
                                               ModelState* state,
                                               std::vector<Tensor>* layers,
                                               bool to_host) const = 0;

  private:
    std::shared_ptr<const TaskHead> task_head_;
};

}  // namespace dnassm
