// Internal (training, issue B): forward with saved activations and the backward sweep of a
// HyenaDNA model (MODELS.md §1.4-1.6, §6.4) on any Backend ("cpu-ref" = double accumulation, the
// oracle of the gradient checks; "cpu" or CUDA for training). Heads sit on top.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/hyena.h"
#include "train/trainable.h"

namespace dnassm {

/// Saved activations of one HyenaDNA block: input, LN1 output, in_proj output, short-conv
/// output u = [x0 | x1 | v], the gated conv input w = v ⊙ x1, the long-conv output, the residual
/// after the mixer, LN2 output, the MLP's pre- and post-GELU activations, and the filter MLP's.
struct HyenaLayerActs {
    Tensor x_in, h1, p, u, w, conv, x_mid, h2, m_pre, m;
    // The implicit filter's Sin-MLP on positions [0, L): pre[k] = act[k−1]·W_k^T + b_k (act[−1] =
    // z), act[k] = sin(freq ⊙ pre[k]); the basis is act.back(). Kept for backward.
    std::vector<Tensor> filter_pre, filter_act;
};

struct HyenaTape : TrainTape {
    std::vector<HyenaLayerActs> layers;  // per block, unless recompute
    std::vector<Tensor> inputs;          // recompute: each block's input only
    bool recompute = false;
    Backend* backend = nullptr;  // the forward's, used by backward
    Tensor x;  // the residual stream after the last block (input of the final norm)
};

/// Forward pass keeping activations; with recompute only each block's input is kept.
HyenaTape hyena_forward_tape(const HyenaModel& model,
                             std::span<const std::int32_t> ids,
                             Backend& be,
                             bool recompute = false);

/// Backward from d loss / d hidden {L, D} through the final norm, every block (including the
/// implicit filter's Sin MLP and its shared frequency) and the embedding; gradients are ADDED
/// into `grads` under the names of HyenaModel::parameters().
void hyena_backward(const HyenaModel& model,
                    const HyenaTape& tape,
                    std::span<const std::int32_t> ids,
                    const float* dhidden,
                    std::map<std::string, Tensor>& grads);

}  // namespace dnassm
