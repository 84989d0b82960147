// NumPy .npy files (format version 1.0), little-endian, C order.
#pragma once

#include <string>

#include "dnassm/tensor.h"

namespace dnassm {

/// Writes a float32 tensor atomically (temp file + rename).
void write_npy(const std::string& path, const Tensor& t);

/// Reads '<f4' as float32 and '<i8'/'<i4' as int32 (values must fit); Error(kInput) otherwise.
[[nodiscard]] Tensor read_npy(const std::string& path);

}  // namespace dnassm
