// Reading and writing safetensors files (https://huggingface.co/docs/safetensors format:
// u64 little-endian header length, JSON header, raw little-endian tensor bytes).
//
// The reader checks every header field, offset and shape against the file before touching data:
// a truncated or corrupt file is an Error(kModel) naming the file and the problem, never a crash
// or an out-of-bounds read. F32, F16 and BF16 tensors are returned as float32.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "dnassm/tensor.h"

namespace dnassm {

struct SafetensorsFile {
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::string> metadata;  // the optional "__metadata__" string map
};

/// Reads `path` through a read-only mapping, so the weights are copied once, from the page cache,
/// and the file's bytes are not held a second time while the tensors fill.
[[nodiscard]] SafetensorsFile read_safetensors(const std::string& path);
/// Parses an in-memory image; `path` is only used in messages.
[[nodiscard]] SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& path);

/// Writes float32 tensors (sorted by name) atomically: to a temp file, renamed on success.
void write_safetensors(const std::string& path,
                       const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace dnassm
