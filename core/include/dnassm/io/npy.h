// NumPy .npy files (format version 1.0), little-endian, C order.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dnassm/tensor.h"

namespace dnassm {

/// The bytes before an array's data: magic, version 1.0, header length and the header dict
/// ('<f4' or '<f2', C order, `shape`), padded with spaces to a multiple of 64 bytes and to at least
/// `min_size` (so that a header written first can be rewritten in place with the final shape).
[[nodiscard]] std::string npy_preamble(const char* descr,
                                       const std::vector<std::int64_t>& shape,
                                       std::size_t min_size = 0);

/// Writes n array values: as float32 ('<f4'), or with `half` as IEEE float16 ('<f2', rounded to
/// nearest even).
void write_npy_values(std::ostream& out, const float* values, std::int64_t n, bool half);

/// Writes a float32 tensor atomically (temp file + rename).
void write_npy(const std::string& path, const Tensor& t);

/// What a .npy file's header says: its dtype ('<f4', '<f2', '<i8', ...), its shape (C order), and
/// where its data begins.
struct NpyHeader {
    std::string descr;
    std::vector<std::int64_t> shape;
    std::size_t data_offset = 0;

    /// Bytes per value (the dtype's last digit: 2, 4 or 8).
    [[nodiscard]] std::size_t item_size() const { return static_cast<std::size_t>(descr[2] - '0'); }
    /// Values in the array (the header checks that this does not overflow).
    [[nodiscard]] std::int64_t numel() const {
        std::int64_t n = 1;
        for (const std::int64_t d : shape) n *= d;
        return n;
    }
};

/// Reads the header alone; Error(kInput) naming the file when it is not a .npy of a float or
/// integer dtype in C order, or holds fewer bytes than its shape needs.
[[nodiscard]] NpyHeader read_npy_header(const std::string& path);

/// Reads '<f4' as float32 and '<i8'/'<i4' as int32 (values must fit); Error(kInput) otherwise.
[[nodiscard]] Tensor read_npy(const std::string& path);

}  // namespace dnassm
