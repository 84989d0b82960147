// Output files are written to "<path>.tmp.<pid>" and renamed over <path> only on success, so a
// failed run never leaves a half-written output. A text output whose name ends in ".gz" is
// compressed with BGZF (bgzip) as it is committed, so tabix and IGV can index it. The path "-" is
// standard output, written in place (what a pipe has read cannot be taken back; the exit code says
// whether the run succeeded).
#pragma once

#include <fstream>
#include <string>

namespace dnassm {

class AtomicFile {
  public:
    /// Checks that the target's folder exists and is writable (Error(kResource) otherwise).
    /// `text`: the file is text, BGZF-compressed on commit when its name ends in ".gz".
    explicit AtomicFile(std::string path, bool text = false);
    [[nodiscard]] bool is_stdout() const { return path_ == "-"; }
    ~AtomicFile();  // removes the temp file unless commit() succeeded
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Where to write now.
    [[nodiscard]] const std::string& temp_path() const { return temp_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// A stream on temp_path(); Error(kResource) naming the file when it cannot be opened.
    /// Standard output is opened for appending, so a `>>` redirect keeps what it held.
    [[nodiscard]] std::ofstream open(std::ios::openmode mode = std::ios::out) const;
    /// Renames the temp file onto the target.
    void commit();
    /// Closes `stream` (from open()), checks that all of it was written (Error(kResource) naming
    /// the file otherwise: a full disk), then commits.
    void commit(std::ofstream& stream);

  private:
    void compress_temp();

    std::string path_, temp_;
    bool bgzip_ = false;
    bool committed_ = false;
};

/// Writes a whole (small) file atomically; Error(kResource) naming it when it cannot be written.
void write_file(const std::string& path, const std::string& text);

/// Reads a whole file; Error(kResource) naming it when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace dnassm
