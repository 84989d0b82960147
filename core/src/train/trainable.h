// Internal (training, issue B): what the trainers (pretrain, finetune) need from a model family:
// a forward pass that keeps activations, the backward sweep, and the parameters by name.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "dnassm/backend.h"
#include "dnassm/model.h"
#include "dnassm/tensor.h"

namespace dnassm {

/// Where backward adds a gradient: the buffer for a parameter name, created (zeros, shaped like
/// `like`) on first use.
using GradSink = std::function<float*(const std::string& name, const Tensor& like)>;

/// A GradSink over a name -> gradient map. Gradients it creates are activations of `be` (device
/// memory on a GPU, so no backward op copies them); ones already in the map (host tensors, e.g. a
/// task head's, which host code computes) are used as they are.
GradSink grad_sink(std::map<std::string, Tensor>& grads, Backend& be);

/// What one forward pass keeps for backward; `hidden` {L, D} is what heads read. Every tensor
/// on a tape is an activation of the forward's backend (Backend::activation: device memory on a
/// GPU), so host code reads `hidden` only through Backend::download.
struct TrainTape {
    virtual ~TrainTape() = default;
    Tensor hidden;
};

class Trainable {
  public:
    virtual ~Trainable() = default;
    /// Runs on `be` ("cpu-ref" = naive double ops, the oracle of gradient checks), which the
    /// tape keeps for backward; recompute = keep only each block's input and recompute the block
    /// in backward (activation checkpointing).
    [[nodiscard]] virtual std::unique_ptr<TrainTape> forward(std::span<const std::int32_t> ids,
                                                             Backend& be,
                                                             bool recompute) const = 0;
    /// Adds d loss / d parameter into grads (keys as backward names them) from d loss / d hidden
    /// (host memory or an activation of the tape's backend), on the tape's backend.
    virtual void backward(const TrainTape& tape,
                          std::span<const std::int32_t> ids,
                          const float* dhidden,
                          std::map<std::string, Tensor>& grads) const = 0;
    /// Renames/rescales backward's gradients to the keys of parameters() (on `be`, which made
    /// them).
    [[nodiscard]] virtual std::map<std::string, Tensor> parameter_grads(
        std::map<std::string, Tensor> grads, Backend& be) const {
        (void)be;
        return grads;
    }
    /// The trainable parameters by canonical name (storage shared with the model).
    [[nodiscard]] virtual std::map<std::string, Tensor> parameters() const = 0;
    /// Recomputes derived tensors after an optimiser step.
    virtual void refresh_derived() {}
    /// Whether next-base (causal LM) training applies; Caduceus is a masked LM.
    [[nodiscard]] virtual bool causal_lm() const { return true; }
    /// The LM head matrix {V, D} and the gradient key it accumulates into (the embedding's when
    /// tied).
    [[nodiscard]] virtual const Tensor& lm_head() const = 0;
    [[nodiscard]] virtual std::string lm_head_grad_name() const = 0;
    /// logits {L, V} from a tape's hidden {L, W} (activations of `be`): hidden · lm_head()^T,
    /// which Caduceus PS extends with its reverse-complement half.
    virtual void head_logits(Backend& be, const Tensor& hidden, const Tensor& logits) const;
    /// The head's backward: dhidden {L, W} += d loss / d hidden, and the head matrix's gradient
    /// into grads.
    virtual void head_backward(Backend& be,
                               const Tensor& hidden,
                               const float* dlogits,
                               float* dhidden,
                               std::map<std::string, Tensor>& grads) const;
    virtual void save(const std::string& dir, const nlohmann::json& provenance) const = 0;
};

/// Training allocates and frees the same large activation tensors every step; this keeps freed
/// memory in the process (glibc mallopt) instead of returning it to the kernel and faulting it
/// back in zeroed pages on the next step.
void retain_freed_memory();

/// The training interface of a loaded model (Mamba, HyenaDNA or Caduceus); throws Error(kUsage)
/// naming the family otherwise. The model must outlive the result.
std::unique_ptr<Trainable> make_trainable(Model& model);

/// Autocast (`--bf16`) for the scope of a training step's forwards and backwards: bfloat16 GEMMs
/// with fp32 accumulation (Backend::set_bf16_gemms), fp32 again afterwards (validation, AdamW).
class Bf16Autocast {
  public:
    Bf16Autocast(Backend& be, bool on) : be_(be), was_(be.bf16_gemms()) { be_.set_bf16_gemms(on); }
    ~Bf16Autocast() { be_.set_bf16_gemms(was_); }
    Bf16Autocast(const Bf16Autocast&) = delete;
    Bf16Autocast& operator=(const Bf16Autocast&) = delete;

  private:
    Backend& be_;
    bool was_;
};

/// Mean cross-entropy of predicting ids[t+1] from position t (t < L−1); with `grads`, adds
/// d loss / d parameter (backward's keys) for every parameter including the LM head.
double lm_loss(const Trainable& model,
               std::span<const std::int32_t> ids,
               std::map<std::string, Tensor>* grads,
               Backend& be,
               bool recompute = false);

}  // namespace dnassm
