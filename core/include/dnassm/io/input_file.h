// The one check every reader makes before it opens an input: a missing file, a folder or a file
// without read permission is a one-line error saying which, rather than a library's "cannot open"
// (and HTSlib's own log line) with no reason.
#pragma once

#include <string>

namespace dnassm {

/// Throws Error(kResource) "<path>: no such file", "<path>: is a folder, expected <expected>" or
/// "<path>: permission denied", unless `path` is a readable file or "-" (standard input).
void require_readable_file(const std::string& path, const std::string& expected = "a file");

}  // namespace dnassm
