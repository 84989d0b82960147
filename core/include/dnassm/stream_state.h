// A streaming model's recurrent state saved to a file, so that a long contig can be run in pieces
// (pipeline chunks, separate jobs) that together give the numbers of one pass at the cost of one
// pass: each piece starts from the state the previous one saved (`dnassm predict --state-in /
// --state-out`). The file is safetensors: the state's float32 tensors, and metadata naming the
// model (a fingerprint of its weights), the contig and how many of its bases the state has seen.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dnassm/backend.h"
#include "dnassm/model.h"

namespace dnassm {

/// Where a saved state stands: it has consumed bases [0, position) of `contig` (0-based), so the
/// run that continues it starts at base `position`.
struct StreamPosition {
    std::string contig;
    std::int64_t position = 0;
};

/// A copy of `state` (a state of `model`) in host memory, its tensors read back through
/// `backend` when they are device memory.
[[nodiscard]] std::unique_ptr<ModelState> copy_state(const Model& model,
                                                     const ModelState& state,
                                                     Backend& backend);

/// A hex fingerprint of the model's weights (FNV-1a 64 of its model.safetensors), so a state is
/// only continued by the model that saved it.
[[nodiscard]] std::string model_fingerprint(const Model& model);

/// Writes a host state (copy_state) atomically.
void save_stream_state(const std::string& path,
                       const Model& model,
                       const ModelState& state,
                       const StreamPosition& where);

struct SavedStreamState {
    std::unique_ptr<ModelState> state;
    StreamPosition where;
};

/// What a state file says of itself (`dnassm info FILE`).
struct StreamStateInfo {
    StreamPosition where;
    std::string model, model_fingerprint, dnassm_version;
    std::int64_t values = 0;  // floats in its tensors
};

/// True when `path` is a file whose safetensors header says it is a dnassm stream state.
[[nodiscard]] bool is_stream_state(const std::string& path);

/// The metadata of a state file; Error(kInput) naming it when it is not a valid one.
[[nodiscard]] StreamStateInfo read_stream_state_info(const std::string& path);

/// Reads a state saved by save_stream_state for `model`. Error(kInput) naming the file when it
/// is not a dnassm stream state, was saved by another model, or its tensors do not fit.
[[nodiscard]] SavedStreamState load_stream_state(const std::string& path, const Model& model);

}  // namespace dnassm
