#include "dnassm/io/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/writers.h"
#include "dnassm/thread_pool.h"

namespace dnassm {

namespace fs = std::filesystem;

namespace {

// The temp files being written, so that a run stopped by SIGINT, SIGTERM or SIGHUP (Ctrl+C, a
// scheduler cancelling a job) removes them before it dies, as it does when it fails. The handler
// may only call async-signal-safe functions, so the paths sit in fixed slots it reads without a
// lock; a slot is kFree, kBusy (being filled) or kLive.
class TempFiles {
  public:
    /// The slot now holding `path`, or -1 when every slot is taken or the path is too long
    /// (that file is then only removed on failures the process survives).
    static int add(const std::string& path) {
        static std::once_flag handlers;
        std::call_once(handlers, install_handlers);
        if (path.size() >= kPathMax) return -1;
        for (int i = 0; i < kSlots; ++i) {
            int expected = kFree;
            if (!state_[i].compare_exchange_strong(expected, kBusy)) continue;
            std::memcpy(paths_[i], path.c_str(), path.size() + 1);
            state_[i].store(kLive);
            return i;
        }
        return -1;
    }
    static void remove(int slot) {
        if (slot >= 0) state_[slot].store(kFree);
    }

  private:
    static constexpr int kFree = 0, kBusy = 1, kLive = 2;
    static constexpr int kSlots = 64;
    static constexpr size_t kPathMax = 4096;

    static void install_handlers() {
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
            struct sigaction old {};
            // A signal the parent set to be ignored (nohup) stays ignored.
            if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
            struct sigaction on {};
            on.sa_handler = on_signal;
            sigemptyset(&on.sa_mask);
            sigaction(sig, &on, nullptr);
        }
    }
    static void on_signal(int sig) {
        for (int i = 0; i < kSlots; ++i)
            if (state_[i].load() == kLive) unlink(paths_[i]);
        // Then die of the signal as if there were no handler (the exit status says which).
        signal(sig, SIG_DFL);
        raise(sig);
    }

    static inline std::atomic<int> state_[kSlots] = {};
    static inline char paths_[kSlots][kPathMax] = {};
};

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads the slots");

// The files the live AtomicFiles of this process write: two outputs of one run naming the same
// file (-o x --state-out x) would share a temp file and leave one in place of the other.
class LiveTargets {
  public:
    static bool add(const std::string& key) {
        const std::lock_guard lock(mutex());
        return keys().insert(key).second;
    }
    static void remove(const std::string& key) {
        const std::lock_guard lock(mutex());
        keys().erase(key);
    }

  private:
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    static std::set<std::string>& keys() {
        static std::set<std::string> k;
        return k;
    }
};

}  // namespace

AtomicFile::AtomicFile(std::string path, bool text) : path_(std::move(path)) {
    DNASSM_CHECK(!path_.empty(), ErrorKind::kUsage, "empty output path");
    if (is_stdout()) {
        temp_ = "/dev/stdout";
        return;
    }
    bgzip_ = text && gz_name(path_);
    std::error_code ec;
    if (written_in_place(path_)) {
        // A library that writes files itself seeks in them (libBigWig reads its data back for
        // the zoom levels, HDF5 writes at offsets): it writes a spool file, copied at commit.
        static std::atomic<int> spools{0};
        direct_ = true;
        target_ = path_;
        temp_ = (fs::temp_directory_path(ec) /
                 ("dnassm." + std::to_string(getpid()) + "." + std::to_string(spools++) + ".spool"))
                    .string();
        temp_slot_ = TempFiles::add(temp_);
        return;
    }
    DNASSM_CHECK(!fs::is_directory(path_, ec), ErrorKind::kResource,
                 path_ + ": is a folder, expected a file name");
    target_ =
        fs::exists(path_, ec) && fs::is_symlink(path_, ec) ? resolved_path(path_).string() : path_;
    if (ec || target_.empty()) target_ = path_;
    refuse_replacing_an_input();
    fs::path dir = fs::path(target_).parent_path();
    if (dir.empty()) dir = ".";
    DNASSM_CHECK(fs::is_directory(dir, ec), ErrorKind::kResource,
                 path_ + ": output folder '" + dir.string() + "' does not exist");
    DNASSM_CHECK(access(dir.c_str(), W_OK) == 0, ErrorKind::kResource,
                 path_ + ": output folder '" + dir.string() + "' is not writable");
    const std::string key = resolved_path(target_).string();
    DNASSM_CHECK(LiveTargets::add(key), ErrorKind::kUsage,
                 path_ + ": named as two outputs of this run; give each its own file");
    live_key_ = key;
    temp_ = target_ + ".tmp." + std::to_string(getpid());
    temp_slot_ = TempFiles::add(temp_);
}

bool AtomicFile::written_in_place(const std::string& path) {
    // The process's own streams are opened again for appending, as "-" is, whatever they are
    // (even closed: opening then fails, where a temp file would have replaced /dev/stdout).
    if (path == "/dev/stdout" || path == "/dev/stderr" || path.rfind("/dev/fd/", 0) == 0 ||
        path.rfind("/proc/self/fd/", 0) == 0)
        return true;
    struct stat st {};
    return path != "-" && stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) &&
           !S_ISREG(st.st_mode);
}

void AtomicFile::refuse_replacing_an_input() const {
    const std::string input = input_file_same_as(target_);
    DNASSM_CHECK(input.empty(), ErrorKind::kUsage,
                 path_ + ": " + (input == path_ ? "is" : "is the same file as") +
                     " an input of this run" + (input == path_ ? "" : " (" + input + ")") +
                     "; write the output to another file");
}

// A stream buffer that hands what is written to HTSlib's BGZF writer (threaded when the run is).
class AtomicFile::BgzfBuffer final : public std::streambuf {
  public:
    explicit BgzfBuffer(const std::string& path) : fp_(bgzf_open(path.c_str(), "w")) {
        if (fp_ && num_threads() > 1) bgzf_mt(fp_, num_threads(), 256);
        setp(buf_.data(), buf_.data() + buf_.size());
    }
    ~BgzfBuffer() override { (void)close(); }
    BgzfBuffer(const BgzfBuffer&) = delete;
    BgzfBuffer& operator=(const BgzfBuffer&) = delete;

    [[nodiscard]] bool is_open() const { return fp_ != nullptr; }
    /// Writes what is buffered and the BGZF end-of-file block; false when any write failed.
    bool close() {
        if (!fp_) return false;
        const bool written = flush();
        const bool closed = bgzf_close(fp_) == 0;
        fp_ = nullptr;
        return written && closed;
    }

  protected:
    int_type overflow(int_type c) override {
        if (!flush()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override { return flush() ? 0 : -1; }

  private:
    bool flush() {
        const auto n = pptr() - pbase();
        if (n > 0 && (!fp_ || bgzf_write(fp_, pbase(), static_cast<size_t>(n)) != n)) ok_ = false;
        setp(buf_.data(), buf_.data() + buf_.size());
        return ok_;
    }

    BGZF* fp_;
    std::vector<char> buf_ = std::vector<char>(1 << 16);
    bool ok_ = true;
};

AtomicFile::~AtomicFile() {
    (void)close_stream();
    if ((!committed_ || direct_) && !is_stdout()) std::remove(temp_.c_str());
    TempFiles::remove(temp_slot_);
    if (!live_key_.empty()) LiveTargets::remove(live_key_);
}

std::ostream& AtomicFile::stream(std::ios::openmode mode) {
    if (stream_) return *stream_;
    const std::string name = is_stdout() ? std::string("standard output") : path_;
    const std::string& file = direct_ ? path_ : temp_;
    if (bgzip_) {
        bgzf_ = std::make_unique<BgzfBuffer>(file);
        DNASSM_CHECK(bgzf_->is_open(), ErrorKind::kResource, name + ": cannot open for writing");
        stream_ = std::make_unique<std::ostream>(bgzf_.get());
    } else {
        auto out = std::make_unique<std::ofstream>(
            file, is_stdout() || direct_ ? mode | std::ios::app : mode);
        DNASSM_CHECK(out->good(), ErrorKind::kResource, name + ": cannot open for writing");
        stream_ = std::move(out);
    }
    return *stream_;
}

bool AtomicFile::close_stream() {
    if (!stream_) return true;
    stream_->flush();
    bool ok = stream_->good();
    if (bgzf_) {
        ok = bgzf_->close() && ok;
    } else {
        auto& file = static_cast<std::ofstream&>(*stream_);
        file.close();
        ok = ok && file.good();
    }
    stream_.reset();
    bgzf_.reset();
    return ok;
}

void AtomicFile::commit() {
    if (bgzip_ && !stream_) (void)stream();  // nothing written: an empty BGZF file, as bgzip makes
    DNASSM_CHECK(
        close_stream(), ErrorKind::kResource,
        (is_stdout() ? std::string("standard output") : path_) + ": write failed (disk full?)");
    std::error_code ec;
    if (direct_ && fs::file_size(temp_, ec) > 0 && !ec) {  // a library's spool file
        std::ifstream spool(temp_, std::ios::binary);
        stream(std::ios::binary) << spool.rdbuf();
        DNASSM_CHECK(close_stream(), ErrorKind::kResource, path_ + ": write failed (disk full?)");
    }
    if (is_stdout() || direct_) {
        committed_ = true;
        return;
    }
    refuse_replacing_an_input();
    if (std::rename(temp_.c_str(), target_.c_str()) != 0)
        throw Error(ErrorKind::kResource,
                    path_ + ": cannot rename temp file into place: " + std::strerror(errno));
    committed_ = true;
    note_written_file(target_);
    TempFiles::remove(temp_slot_);
    temp_slot_ = -1;
}

void write_file(const std::string& path, const std::string& text) {
    AtomicFile file(path);
    file.stream(std::ios::binary) << text;
    file.commit();
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    require_readable_file(path);
    std::ifstream in(path, std::ios::binary);
    DNASSM_CHECK(in.good(), ErrorKind::kResource,
                 path + ": cannot open for reading: " + std::strerror(errno));
    // A regular file is read in one piece into a string of its size: streaming it through a
    // stringstream copied a model's weights several times over as the buffer grew (most of the
    // time a large model took to load).
    const auto size = fs::is_regular_file(path, ec) ? fs::file_size(path, ec) : 0;
    if (!ec && size > 0) {
        std::string bytes(static_cast<size_t>(size), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(size));
        DNASSM_CHECK(in.gcount() == static_cast<std::streamsize>(size), ErrorKind::kResource,
                     path + ": read error (the file changed while it was read?)");
        return bytes;
    }
    std::ostringstream ss;  // a pipe or special file: size unknown
    ss << in.rdbuf();
    DNASSM_CHECK(!in.bad(), ErrorKind::kResource, path + ": read error");
    return ss.str();
}

}  // namespace dnassm
