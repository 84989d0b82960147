// Internal: named weight lookup with the prefix/alias table for published checkpoints.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dnassm/safetensors.h"

namespace dnassm {

class WeightStore {
  public:
    WeightStore(SafetensorsFile file, std::string path, std::vector<std::string> prefixes)
        : file_(std::move(file)), path_(std::move(path)), prefixes_(std::move(prefixes)) {}

    /// Finds `name` under any known prefix and checks its shape; Error(kModel) when absent or
    /// mis-shaped. `alt` names are tried in order after `name`.
    Tensor get(const std::string& name,
               const std::vector<std::int64_t>& shape,
               const std::vector<std::string>& alt = {});
    bool has(const std::string& name) const;
    /// Shape of a stored tensor (Error(kModel) when absent).
    [[nodiscard]] std::vector<std::int64_t> shape_of(const std::string& name) const;
    /// Keys of the file that no get() asked for.
    [[nodiscard]] std::vector<std::string> unused() const;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const SafetensorsFile& file() const { return file_; }

  private:
    const std::string* find(const std::string& name) const;

    SafetensorsFile file_;
    std::string path_;
    std::vector<std::string> prefixes_;
    std::set<std::string> used_;
};

}  // namespace dnassm
