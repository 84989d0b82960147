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
    std::int64_t datasets = 0;  // one per sequence, region or pooled vector
};

/// Whether `path` is an HDF5 file (by its signature, not its name).
[[nodiscard]] bool is_hdf5_file(const std::string& path);

/// Error(kInput) naming the file when it is not HDF5 or cannot be read.
[[nodiscard]] EmbeddingFileInfo read_embedding_file_info(const std::string& path);

}  // namespace dnassm
