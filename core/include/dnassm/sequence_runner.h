// Runs a model over one tokenized sequence of any length with bounded memory:
//  - streaming models (Mamba) go chunk by chunk carrying their state, which equals one pass;
//  - other models (HyenaDNA, limited to l_max) are tiled: windows of `window` bases with
//    `overlap` bases of context on each side; each window contributes only its central part,
//    and the parts are stitched in order.
// Streaming models are tiled too when `tile` is set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "dnassm/model.h"
#include "dnassm/progress.h"

namespace dnassm {

struct RunOptions {
    std::int64_t chunk = 65536;  // streaming chunk
    std::int64_t window = 0;     // tiling window; 0 = the model's max_length
    std::int64_t overlap = -1;   // context on each side; -1 = window / 8
    bool tile = false;           // tile a streaming model instead of streaming it
    bool no_tile = false;        // refuse inputs longer than the model allows
    /// Streaming models only (Error(kUsage) otherwise): start from a copy of this state instead
    /// of a fresh one, e.g. one a previous piece of the contig saved (stream_state.h).
    const ModelState* resume = nullptr;
    /// Streaming models only: after the first save_at tokens (0..L), on_saved receives a host
    /// copy of the state (copy_state); -1 = never.
    std::int64_t save_at = -1;
    std::function<void(std::unique_ptr<ModelState>)> on_saved = {};
};

/// How a sequence of length L will run ("one pass", "streamed in chunks of ...", "tiled ...").
struct RunPlan {
    bool tiled = false;
    std::int64_t window = 0, overlap = 0, core = 0;
    [[nodiscard]] std::string describe() const;
};

/// Validates the options against the model and length L; Error(kUsage/kInput) when impossible
/// (window above the model's limit, overlap too large, --no-tile with a too-long input).
[[nodiscard]] RunPlan plan_run(const Model& model, std::int64_t L, const RunOptions& opts);

/// What run_sequence hands over for one block of rows: where it starts, and its hidden states
/// {n, D} and LM logits {n, V} in host memory, each only when asked for.
struct RowBlock {
    std::int64_t offset = 0;
    Tensor hidden, logits;
};

struct RowsWanted {
    bool hidden = true;
    /// Computed by the backend from the hidden states; on a GPU the hidden states then need not
    /// come down at all when `hidden` is false.
    bool logits = false;
};

/// on_block is called in order for consecutive row blocks covering ids. Each window's results
/// are copied down while the next window runs (on a GPU), and on_block runs meanwhile.
void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  const RunOptions& opts,
                  Progress* progress,
                  RowsWanted wanted,
                  const std::function<void(const RowBlock&)>& on_block);

/// on_rows(offset, hidden {n, D}) is called in order for consecutive row blocks covering ids.
void run_sequence(const Model& model,
                  Backend& backend,
                  std::span<const std::int32_t> ids,
                  const RunOptions& opts,
                  Progress* progress,
                  const std::function<void(std::int64_t, const Tensor&)>& on_rows);

}  // namespace dnassm
