// Reading back what an embedding HDF5 file (embed -o OUT.h5) says of itself, for `dnassm info`.
#pragma once

#include <cstdint>
#include <string>

#include "dnassm/io/writers.h"

namespace dnassm {

struct EmbeddingFileInfo {
    /// The root's attributes (what embed writes there: dnassm_version, command, model, ...),
    /// those in the order embed writes them first, then any others by name.
    FileAttributes description;
    std::int64_t datasets = 0;  // per-base: one per sequence or region
    /// Pooled vectors (a root dataset "embeddings" of [vectors, dims]); vectors -1 when none.
    std::int64_t vectors = -1, dims = 0;
};

/// Whether `path` is an HDF5 file (by its signature, not its name).
[[nodiscard]] bool is_hdf5_file(const std::string& path);

/// Error(kInput) naming the file when it is not HDF5 or cannot be read.
[[nodiscard]] EmbeddingFileInfo read_embedding_file_info(const std::string& path);

}  // namespace dnassm
