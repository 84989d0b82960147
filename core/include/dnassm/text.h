// Small text helpers shared by the readers and the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dnassm {

/// The fields of `s` between `sep` characters, empty ones included ("a,,b" -> a, "", b; "a," ->
/// a, ""); an empty string has none.
[[nodiscard]] std::vector<std::string> split(std::string_view s, char sep);

}  // namespace dnassm
