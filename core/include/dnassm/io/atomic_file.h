// Output files are written to "<path>.tmp.<pid>" and renamed over <path> only on success, so a
// failed run never leaves a half-written output.
#pragma once

#include <string>

namespace dnassm {

class AtomicFile {
  public:
    /// Checks that the target's folder exists and is writable (Error(kResource) otherwise).
    explicit AtomicFile(std::string path);
    ~AtomicFile();  // removes the temp file unless commit() succeeded
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Where to write now.
    [[nodiscard]] const std::string& temp_path() const { return temp_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Renames the temp file onto the target.
    void commit();

  private:
    std::string path_, temp_;
    bool committed_ = false;
};

/// Writes a whole (small) file atomically; Error(kResource) naming it when it cannot be written.
void write_file(const std::string& path, const std::string& text);

/// Reads a whole file; Error(kResource) naming it when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace dnassm
