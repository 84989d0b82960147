#include "dnassm/sequence_runner.h"

#include <algorithm>

#include "dnassm/error.h"

namespace dnassm {

std::string RunPlan::describe() const {
    if (!tiled) return "one pass";
    return "tiled into windows of " + std::to_string(window) + " bases with " +
           std::to_string(overlap) + " bases of context on each side (" + std::to_string(core) +
           " kept per window)";
}

RunPlan plan_run(const Model& model, std::int64_t L, const RunOptions& opts) {
    RunPlan plan;
    const std::int64_t limit = model.max_length();
    const bool must_tile = !model.streams() && limit > 0 && L > limit;
    DNASSM_CHECK(!(must_tile && opts.no_tile), ErrorKind::kInput,
                 "sequence of " + std::to_string(L) +
                     " bases is longer than the model's limit of " + std::to_string(limit) +
                     " (drop --no-tile to tile it into windows)");
    const bool tile =
        must_tile || opts.tile || (!model.streams() && opts.window > 0 && L > opts.window);
    if (!tile) return plan;
    plan.tiled = true;
    plan.window = opts.window > 0 ? opts.window : limit;
    DNASSM_CHECK(plan.window > 0, ErrorKind::kUsage, "--window is required to tile this model");
    DNASSM_CHECK(limit == 0 || plan.window <= limit, ErrorKind::kUsage,
                 "--window " + std::to_string(plan.window) + " exceeds the model's limit of " +
                     std::to_string(limit) + " bases");
    plan.overlap = opts.overlap >= 0 ? opts.overlap : plan.window / 8;
    plan.core = plan.window - 2 * plan.overlap;
    DNASSM_CHECK(plan.core > 0, ErrorKind::kUsage,
                 "--overlap " + std::to_string(plan.overlap) + " leaves nothing of a " +
                     std::to_string(plan.window) + "-base window (need 2*overlap < window)");
    return plan;
}

void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  const RunOptions& opts,
                  Progress* progress,
                  const std::function<void(std::int64_t, const Tensor&)>& on_rows) {
    DNASSM_CHECK(opts.chunk > 0, ErrorKind::kUsage, "--chunk must be positive");
    const auto L = static_cast<std::int64_t>(ids.size());
    const RunPlan plan = plan_run(model, L, opts);
    auto sub = [&](std::int64_t b, std::int64_t n) {
        return ids.subspan(static_cast<size_t>(b), static_cast<size_t>(n));
    };
    if (plan.tiled) {
        // Core [c, c + core) is computed in the window [c - overlap, c + core + overlap), clipped.
        for (std::int64_t c = 0; c < L; c += plan.core) {
            const std::int64_t c_end = std::min(L, c + plan.core);
            const std::int64_t w_beg = std::max<std::int64_t>(0, c - plan.overlap);
            const std::int64_t w_end = std::min(L, c_end + plan.overlap);
            const Tensor h = model.forward(backend, sub(w_beg, w_end - w_beg), nullptr);
            on_rows(c, h.slice_rows(c - w_beg, c_end - w_beg));
            if (progress) progress->advance(c_end - c);
        }
        return;
    }
    if (!model.streams()) {
        on_rows(0, model.forward(backend, ids, nullptr));
        if (progress) progress->advance(L);
        return;
    }
    auto state = model.new_state();
    for (std::int64_t t = 0; t < L; t += opts.chunk) {
        const std::int64_t n = std::min(opts.chunk, L - t);
        on_rows(t, model.forward(backend, sub(t, n), state.get()));
        if (progress) progress->advance(n);
    }
}

}  // namespace dnassm
