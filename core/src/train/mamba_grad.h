// Internal (training, issue B): loss and parameter gradients of a Mamba-1 LM for next-base
// prediction, computed with the reference ops and their backward passes (double accumulation).
// The fast trainer will reuse the same structure with the fast ops.
#pragma once

#include <map>
#include <span>
#include <string>

#include "model/mamba.h"

namespace dnassm {

/// Mean cross-entropy of predicting ids[t+1] from position t (t < L−1). When `grads` is given,
/// it receives d loss / d parameter for every parameter, keyed by canonical name
/// ("embedding.weight", "layers.0.mixer.in_proj.weight", ...; "layers.i.mixer.A" is the gradient
/// w.r.t. A = −exp(A_log): multiply by A for A_log). A tied LM head adds into "embedding.weight".
/// `reference` = true runs the naive double-precision ops (the oracle for gradient checks);
/// false runs the fast forward ops and BLAS-backed linear backward (training).
double mamba_lm_loss(const MambaModel& model,
                     std::span<const std::int32_t> ids,
                     std::map<std::string, Tensor>* grads,
                     bool reference = true);

}  // namespace dnassm
