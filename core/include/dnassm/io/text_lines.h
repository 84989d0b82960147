// Lines of a text file through HTSlib: plain, gzip or BGZF alike, "-" for standard input. The
// readers of BED, bedGraph and CSV share it; each says in its own words what a failure means.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <htslib/hts.h>
#include <htslib/kstring.h>

namespace dnassm {

class TextLines {
  public:
    /// Throws require_readable_file's error for a missing, unreadable or folder path.
    explicit TextLines(const std::string& path);
    ~TextLines();
    TextLines(const TextLines&) = delete;
    TextLines& operator=(const TextLines&) = delete;

    /// False when the file could not be opened.
    [[nodiscard]] bool is_open() const { return fp_ != nullptr; }
    /// The next line, without its newline (nor the first line's UTF-8 byte order mark), valid
    /// until the next call; false at the end of the file or on a read error (a truncated or
    /// corrupt compressed file: failed() then says so).
    bool next(std::string_view& line);
    /// Whether the last next() stopped on a read error rather than at the end.
    [[nodiscard]] bool failed() const { return status_ < -1; }
    /// Throws Error(kInput) naming `path` and the line when the last next() stopped on a read
    /// error; call it after the loop.
    void check_read(const std::string& path) const;
    /// Lines returned so far (the 1-based number of the last one).
    [[nodiscard]] std::int64_t line_no() const { return line_no_; }

  private:
    htsFile* fp_;
    kstring_t line_ = KS_INITIALIZE;
    int status_ = 0;
    std::int64_t line_no_ = 0;
};

}  // namespace dnassm
