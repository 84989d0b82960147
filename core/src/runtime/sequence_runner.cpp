#include "dnassm/sequence_runner.h"

#include <algorithm>

#include "dnassm/error.h"

namespace dnassm {

void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  std::int64_t chunk,
                  Progress* progress,
                  const std::function<void(std::int64_t, const Tensor&)>& on_chunk) {
    DNASSM_CHECK(chunk > 0, ErrorKind::kUsage, "--chunk must be positive");
    DNASSM_CHECK(model.causal(), ErrorKind::kInternal, "only causal models stream");
    const auto L = static_cast<std::int64_t>(ids.size());
    auto state = model.new_state();
    for (std::int64_t t = 0; t < L; t += chunk) {
        const std::int64_t n = std::min(chunk, L - t);
        const Tensor h = model.forward(
            backend, ids.subspan(static_cast<size_t>(t), static_cast<size_t>(n)), state.get());
        on_chunk(t, h);
        if (progress) progress->advance(n);
    }
}

}  // namespace dnassm
