// Internal (training): AdamW with decoupled weight decay, linear warmup + cosine decay, global
// gradient-norm clipping. Parameters and gradients are named tensors; the optimiser state is
// too, so checkpoints are plain safetensors.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm {

struct AdamWOptions {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
    double min_lr_fraction = 0.1;  // cosine floor, as HyenaDNA's lr_min = 0.1 lr
    std::int64_t warmup_steps = 100, total_steps = 1000;
    double clip_norm = 1.0;  // 0 = no clipping
};

/// Weight decay applies to matrices only: not to norms, biases, A_log or D (nor to 1-D tensors),
/// nor to HyenaDNA's implicit filter (as its training recipe: wd 0 on filter_fn).
[[nodiscard]] bool decays(const std::string& name, const Tensor& t);

/// Learning rate at `step` (0-based): linear warmup, then cosine to min_lr_fraction·lr.
[[nodiscard]] double learning_rate(const AdamWOptions& o, std::int64_t step);

class AdamW {
  public:
    explicit AdamW(AdamWOptions o) : o_(o) {}
    /// One update of every parameter that has a gradient (host memory or `be`'s activations), on
    /// `be` (the same double-precision arithmetic on every backend), with the gradients taken
    /// times `grad_scale` (e.g. 1 / batch); returns the pre-clipping norm of the scaled gradient.
    double step(std::map<std::string, Tensor>& params,
                const std::map<std::string, Tensor>& grads,
                Backend& be,
                double grad_scale = 1.0);
    [[nodiscard]] std::int64_t steps_done() const { return t_; }
    /// State as named host tensors ("adam.m.<name>", "adam.v.<name>", "adam.step") and back.
    [[nodiscard]] std::map<std::string, Tensor> state() const;
    void load_state(const std::map<std::string, Tensor>& state);

  private:
    AdamWOptions o_;
    std::int64_t t_ = 0;
    // The moments live with the backend of the steps (device memory on a GPU), which state()
    // reads them through.
    std::map<std::string, Tensor> m_, v_;
    Backend* be_ = nullptr;
};

}  // namespace dnassm
