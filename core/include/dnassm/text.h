// Small text helpers shared by the readers and the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dnassm {

/// The fields of `s` between `sep` characters, empty ones included ("a,,b" -> a, "", b; "a," ->
/// a, ""); an empty string has none.
[[nodiscard]] std::vector<std::string> split(std::string_view s, char sep);

/// Up to `max` fields of `line` separated by runs of spaces, tabs and '\r' (UCSC's
/// whitespace-delimited BED and bedGraph), into `out`, which is cleared first (a reader reuses it
/// line after line).
void split_whitespace(std::string_view line, size_t max, std::vector<std::string_view>& out);

/// Whether a line holds nothing but spaces, tabs and a '\r' (a CRLF file's blank line).
[[nodiscard]] bool is_blank(std::string_view line);

/// The fields of one CSV line, as R's write.csv, pandas and spreadsheets write them (RFC 4180):
/// comma-separated, a field in double quotes may hold commas, and "" inside it is one quote.
/// Spaces around a field and a line-final '\r' are dropped. A quoted field that does not close
/// before the line ends, or text after its closing quote, is Error(kInput) naming `where`.
[[nodiscard]] std::vector<std::string> split_csv(std::string_view line, const std::string& where);

/// A JSON library's message without its "[json.exception.parse_error.101] " tag, for an error
/// line a user reads ("parse error at line 3, column 5: ...").
[[nodiscard]] std::string json_message(std::string_view what);

}  // namespace dnassm
