// Runs a model over one tokenized sequence, chunk by chunk with carried state (causal models), so
// memory stays bounded for whole chromosomes and results equal one pass.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "dnassm/model.h"
#include "dnassm/progress.h"

namespace dnassm {

/// on_chunk(offset, hidden {n, D}) is called in order for consecutive chunks covering ids.
void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  std::int64_t chunk,
                  Progress* progress,
                  const std::function<void(std::int64_t, const Tensor&)>& on_chunk);

}  // namespace dnassm
