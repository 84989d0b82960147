// Internal: the LM head of Mamba and HyenaDNA: logits{L, V} = hidden{L, D} · W{V, D}^T.
#pragma once

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm {

inline void lm_head_logits(Backend& backend,
                           const Tensor& hidden,
                           const Tensor& weight,
                           const Tensor& out) {
    const std::int64_t L = hidden.dim(0), D = hidden.dim(1), V = weight.dim(0);
    backend.linear({.M = L,
                    .K = D,
                    .N = V,
                    .x = hidden.f32(),
                    .ld_x = D,
                    .weight = weight.f32(),
                    .y = out.f32(),
                    .ld_y = V});
}

}  // namespace dnassm
