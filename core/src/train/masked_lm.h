// Internal (training): masked-LM pretraining of Caduceus (MODELS.md §3.5, the official
// src/dataloaders/utils/mlm.py recipe): a fraction of the bases of each window is chosen; of
// those, 80 % become [MASK], 10 % a random base and 10 % stay; the loss is the cross-entropy at
// the chosen positions only.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm {

class Model;
class Trainable;

struct MaskedWindow {
    std::vector<std::int32_t> input;    // what the model reads
    std::vector<std::int32_t> targets;  // the original base at chosen positions, −1 elsewhere
    std::int64_t chosen = 0;
};

/// Chooses each A/C/G/T position of ids with probability `prob` (N and special tokens never:
/// there is nothing to learn from predicting N) and corrupts it as above; a pure function of
/// (ids, seed).
[[nodiscard]] MaskedWindow mask_window(std::span<const std::int32_t> ids,
                                       std::uint64_t seed,
                                       double prob);

/// Mean cross-entropy (nats, over the whole vocabulary, as the official loss) of targets[t] at
/// every position with targets[t] >= 0, from the model reading `input`; 0 when none is chosen.
/// With `grads`, adds d loss / d parameter (backward's keys) for every parameter; recompute as
/// Trainable::forward.
double masked_lm_loss(const Trainable& model,
                      std::span<const std::int32_t> input,
                      std::span<const std::int32_t> targets,
                      std::map<std::string, Tensor>* grads,
                      Backend& be,
                      bool recompute = false);

/// Validation of a masked LM: bits per base of the chosen bases (probability among A/C/G/T,
/// like bits_per_base), over ids cut into windows of `window` bases, each masked with a fixed
/// seed so that every evaluation sees the same masks.
double masked_bits_per_base(const Model& model,
                            const std::vector<std::int32_t>& ids,
                            std::int64_t window,
                            double prob,
                            Backend& be);

}  // namespace dnassm
