// Output files are written to "<path>.tmp.<pid>" and renamed over <path> only on success, so a
// failed run never leaves a half-written output. A text output whose name ends in ".gz" is
// compressed with BGZF (bgzip) as it is written, so tabix and IGV can index it and no plain copy
// ever takes the disk. The path "-" is standard output, written in place (what a pipe has read
// cannot be taken back; the exit code says whether the run succeeded). A run stopped by SIGINT,
// SIGTERM or SIGHUP removes its temp files before it dies of the signal.
#pragma once

#include <memory>
#include <ostream>
#include <string>

namespace dnassm {

class AtomicFile {
  public:
    /// Checks that the target's folder exists and is writable (Error(kResource) otherwise).
    /// `text`: the file is text, BGZF-compressed when its name ends in ".gz". A device or FIFO
    /// (/dev/null, /dev/stdout, a shell's >(cmd)) is written in place, and a link to a file
    /// stays a link: the file it points to is replaced. An input of the run (input_file.h) is
    /// not replaced: Error(kUsage), here or at commit().
    explicit AtomicFile(std::string path, bool text = false);
    [[nodiscard]] bool is_stdout() const { return path_ == "-"; }
    /// Whether an output at `path` is written in place rather than replaced: an existing device,
    /// FIFO or socket, or the process's own /dev/stdout, /dev/stderr, /dev/fd/N.
    [[nodiscard]] static bool written_in_place(const std::string& path);
    ~AtomicFile();  // removes the temp file unless commit() succeeded (a spool file always)
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Where a library that writes files itself (HTSlib, HDF5, libBigWig) writes now: for a
    /// target written in place, a spool file copied to it at commit().
    [[nodiscard]] const std::string& temp_path() const { return temp_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// The stream to write through instead, opened on the first call: on temp_path() (on the
    /// target itself when it is written in place), compressing as it goes for a ".gz" text;
    /// standard output is opened for appending, so a `>>` redirect keeps what it held.
    /// Error(kResource) naming the file when it cannot be opened.
    [[nodiscard]] std::ostream& stream(std::ios::openmode mode = std::ios::out);
    /// Closes the stream, if one was opened, and checks that all of it was written
    /// (Error(kResource) naming the file otherwise: a full disk), then renames the temp file onto
    /// the target.
    void commit();

  private:
    class BgzfBuffer;
    /// Closes the stream; false when some of it was not written.
    bool close_stream();
    /// Error(kUsage) when the target is one of the run's inputs.
    void refuse_replacing_an_input() const;

    std::string path_, temp_;
    std::string target_;    // path_ with its links followed: what the temp file is renamed onto
    std::string live_key_;  // target_ as an absolute path, while this object writes it
    bool direct_ = false;   // written_in_place: temp_ is then a spool file for libraries
    bool bgzip_ = false;
    bool committed_ = false;
    int temp_slot_ = -1;                    // where a signal's handler finds temp_ to remove it
    std::unique_ptr<BgzfBuffer> bgzf_;      // a ".gz" text's compressor, under stream_
    std::unique_ptr<std::ostream> stream_;  // destroyed before bgzf_
};

/// Writes a whole (small) file atomically; Error(kResource) naming it when it cannot be written.
void write_file(const std::string& path, const std::string& text);

/// Reads a whole file; Error(kResource) naming it when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace dnassm
