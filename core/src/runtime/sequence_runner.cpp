#include "dnassm/sequence_runner.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/record_batches.h"
#include "dnassm/stream_state.h"
#include "dnassm/thread_pool.h"

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

namespace {

// The window whose results are on their way down while the next one runs.
struct InFlight {
    std::int64_t offset = 0, rows = 0;
    std::unique_ptr<PendingDownload> hidden, logits;
};

class Pipeline {
  public:
    Pipeline(const Model& model,
             Backend& backend,
             Progress* progress,
             RowsWanted wanted,
             const std::function<void(const RowBlock&)>& on_block)
        : model_(model), be_(backend), progress_(progress), wanted_(wanted), on_block_(on_block) {}

    /// Rows [offset, offset + n) are `rows` (an activation): starts their copies down, then
    /// hands over the previous block.
    void push(std::int64_t offset, const Tensor& rows) {
        InFlight next{offset, rows.dim(0), nullptr, nullptr};
        if (wanted_.logits) {
            const Tensor logits = be_.activation({rows.dim(0), model_.info().vocab_size});
            model_.logits_into(be_, rows, logits);
            next.logits = be_.download_async(logits);
        }
        if (wanted_.hidden) next.hidden = be_.download_async(rows);
        flush();
        pending_ = std::move(next);
    }
    /// Hands over the block still in flight, if any.
    void flush() {
        if (!pending_) return;
        InFlight f = std::move(*pending_);
        pending_.reset();
        RowBlock block{f.offset, f.hidden ? f.hidden->wait() : Tensor(),
                       f.logits ? f.logits->wait() : Tensor()};
        on_block_(block);
        if (progress_) progress_->advance(f.rows);
    }

  private:
    const Model& model_;
    Backend& be_;
    Progress* progress_;
    RowsWanted wanted_;
    const std::function<void(const RowBlock&)>& on_block_;
    std::optional<InFlight> pending_;
};

}  // namespace

void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  const RunOptions& opts,
                  Progress* progress,
                  RowsWanted wanted,
                  const std::function<void(const RowBlock&)>& on_block) {
    DNASSM_CHECK(opts.chunk > 0, ErrorKind::kUsage, "--chunk must be positive");
    const auto L = static_cast<std::int64_t>(ids.size());
    const RunPlan plan = plan_run(model, L, opts);
    auto sub = [&](std::int64_t b, std::int64_t n) {
        return ids.subspan(static_cast<size_t>(b), static_cast<size_t>(n));
    };
    const bool carries_state = opts.resume != nullptr || opts.save_at >= 0;
    DNASSM_CHECK(!carries_state || (model.streams() && !plan.tiled), ErrorKind::kUsage,
                 "a saved stream state needs a streaming model (Mamba) run in one stream, not " +
                     (model.streams() ? std::string("tiled into windows")
                                      : "a " + model.info().family + " model"));
    DNASSM_CHECK(opts.save_at <= L && (opts.save_at < 0 || opts.on_saved), ErrorKind::kInternal,
                 "run_sequence: save_at past the sequence, or no on_saved");
    Pipeline pipe(model, backend, progress, wanted, on_block);
    if (plan.tiled) {
        // Core [c, c + core) is computed in the window [c - overlap, c + core + overlap), clipped.
        struct Window {
            std::int64_t c, c_end, w_beg, w_end;
            Tensor hidden;
        };
        std::vector<Window> windows;
        for (std::int64_t c = 0; c < L; c += plan.core) {
            const std::int64_t c_end = std::min(L, c + plan.core);
            windows.push_back({c, c_end, std::max<std::int64_t>(0, c - plan.overlap),
                               std::min(L, c_end + plan.overlap), Tensor()});
        }
        // Short windows run side by side on the CPU, a window per thread, as short records do
        // (record_batches.h): the ops of a window then run inline on its thread, over the same
        // ranges, so every window's numbers are those of a run by itself, for any -@.
        const bool side_by_side = backend.concurrent_calls() && num_threads() > 1 &&
                                  plan.window <= RecordBatches<int>::kShortRecord;
        const auto group = static_cast<size_t>(side_by_side ? num_threads() : 1);
        for (size_t g = 0; g < windows.size(); g += group) {
            const auto n = static_cast<std::int64_t>(std::min(group, windows.size() - g));
            auto compute = [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) {
                    Window& w = windows[g + static_cast<size_t>(i)];
                    w.hidden =
                        model.forward_activation(backend, sub(w.w_beg, w.w_end - w.w_beg), nullptr);
                }
            };
            if (n == 1)
                compute(0, 1);
            else
                parallel_for(n, 1, compute);
            for (std::int64_t i = 0; i < n; ++i) {
                Window& w = windows[g + static_cast<size_t>(i)];
                pipe.push(w.c, w.hidden.slice_rows(w.c - w.w_beg, w.c_end - w.w_beg));
                w.hidden = Tensor();
            }
        }
    } else if (!model.streams()) {
        pipe.push(0, model.forward_activation(backend, ids, nullptr));
    } else {
        auto state = opts.resume ? copy_state(model, *opts.resume, backend) : model.new_state();
        if (opts.save_at == 0) opts.on_saved(copy_state(model, *state, backend));
        for (std::int64_t t = 0, n = 0; t < L; t += n) {
            n = std::min(opts.chunk, L - t);
            if (t < opts.save_at && opts.save_at < t + n) n = opts.save_at - t;  // ends there
            pipe.push(t, model.forward_activation(backend, sub(t, n), state.get()));
            if (t + n == opts.save_at) opts.on_saved(copy_state(model, *state, backend));
        }
    }
    pipe.flush();
}

void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  const RunOptions& opts,
                  Progress* progress,
                  const std::function<void(std::int64_t, const Tensor&)>& on_rows) {
    run_sequence(model, backend, ids, opts, progress, RowsWanted{},
                 [&](const RowBlock& b) { on_rows(b.offset, b.hidden); });
}

}  // namespace dnassm
