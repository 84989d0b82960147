// Internal (training, issues B/F): forward with saved activations and the backward sweep of a
// Caduceus model (MODELS.md §3; Ph and the RC-equivariant PS with the released fused-add-norm
// ordering), from d loss / d hidden — what fine-tuning a task head with the backbone needs.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/caduceus.h"
#include "train/mamba_grad.h"
#include "train/trainable.h"

namespace dnassm {

/// One BiMamba run on hn {L, D}: the forward mixer on hn, the reverse one on flip_L(hn).
struct BiMambaActs {
    Tensor hn, hr;
    MixerActs fwd, rev;
    Tensor out;  // fwd ⊕ flip_L(rev)
};

/// Per block: Ph keeps the norm input res and one BiMamba; PS the two strands' norm inputs
/// (res_fwd, res_rc) and a BiMamba for each.
struct CaduceusLayerActs {
    Tensor res, res_rc;
    BiMambaActs bi, bi_rc;
};

struct CaduceusTape : TrainTape {
    /// With recompute, each layer keeps only its norm inputs (res, res_rc); backward recomputes
    /// the BiMamba activations from them, one layer at a time.
    bool recompute = false;
    std::vector<CaduceusLayerActs> layers;
    Tensor sum;                  // h + res after the last block (input of the final norm), {L, W}
    Backend* backend = nullptr;  // the forward's, used by backward
};

CaduceusTape caduceus_forward_tape(const CaduceusModel& model,
                                   std::span<const std::int32_t> ids,
                                   Backend& be,
                                   bool recompute = false);

/// Adds d loss / d parameter (checkpoint keys; "<mixer>.A" is d/dA, see a_log_grads) from
/// d loss / d hidden {L, W}.
void caduceus_backward(const CaduceusModel& model,
                       const CaduceusTape& tape,
                       std::span<const std::int32_t> ids,
                       const float* dhidden,
                       std::map<std::string, Tensor>& grads);

/// The LM head's backward (MODELS.md §3.3 RCPSLMHead for PS: the reverse half's weight is the
/// complement's embedding row with its channels flipped, so its gradient goes back there):
/// dhidden {L, W} += dlogits · head, the embedding's gradient into `grad`.
void caduceus_head_backward(const CaduceusModel& model,
                            Backend& be,
                            const Tensor& hidden,
                            const float* dlogits,
                            float* dhidden,
                            const GradSink& grad);

}  // namespace dnassm
