// The one check every reader makes before it opens an input: a missing file, a folder or a file
// without read permission is a one-line error saying which, rather than a library's "cannot open"
// (and HTSlib's own log line) with no reason.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dnassm {

/// Throws Error(kResource) "<path>: no such file", "<path>: is a folder, expected <expected>" or
/// "<path>: permission denied", unless `path` is a readable file or "-" (standard input, which
/// every reader of "-" passes here too).
void require_readable_file(const std::string& path, const std::string& expected = "a file");

/// Error(kUsage) "<prefix><path>: given twice (as <other>)" when two of `paths` name one file
/// (the same name, or another through a link).
void require_distinct_files(const std::vector<std::string>& paths, const std::string& prefix);

/// `path` made absolute, with its links, "." and ".." resolved as far as it exists: two names of
/// one file (or of one file yet to be written) give one value.
[[nodiscard]] std::filesystem::path resolved_path(const std::string& path);

/// From now on, remembers the regular files require_readable_file passes, so that an output
/// about to replace one of them is refused (AtomicFile) instead of destroying the input:
/// `dnassm predict -o in.fa in.fa`. The batch CLI turns it on; the explorer, which saves over
/// the session file it opened, does not.
void protect_input_files();

/// A file this run wrote (AtomicFile::commit): reading it back later (finetune reads the config
/// it saved) does not make it an input.
void note_written_file(const std::string& path);

/// The input path (as given) that is the same file as `path`, following links; "" when none is
/// or protection is off.
[[nodiscard]] std::string input_file_same_as(const std::string& path);

}  // namespace dnassm
