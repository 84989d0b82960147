#include "dnassm/io/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <unistd.h>

#include <htslib/bgzf.h>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"
#include "dnassm/thread_pool.h"

namespace dnassm {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string path, bool text) : path_(std::move(path)) {
    DNASSM_CHECK(!path_.empty(), ErrorKind::kUsage, "empty output path");
    if (is_stdout()) {
        temp_ = "/dev/stdout";
        return;
    }
    bgzip_ = text && gz_name(path_);
    fs::path dir = fs::path(path_).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    DNASSM_CHECK(fs::is_directory(dir, ec), ErrorKind::kResource,
                 path_ + ": output folder '" + dir.string() + "' does not exist");
    DNASSM_CHECK(access(dir.c_str(), W_OK) == 0, ErrorKind::kResource,
                 path_ + ": output folder '" + dir.string() + "' is not writable");
    DNASSM_CHECK(!fs::is_directory(path_, ec), ErrorKind::kResource,
                 path_ + ": is a folder, expected a file name");
    temp_ = path_ + ".tmp." + std::to_string(getpid());
}

AtomicFile::~AtomicFile() {
    if (!committed_ && !is_stdout()) std::remove(temp_.c_str());
}

// The text written to temp_ becomes BGZF blocks in a second temp file, which replaces it.
void AtomicFile::compress_temp() {
    const std::string packed = temp_ + ".bgzf";
    auto fail = [&](const char* what) {
        std::remove(packed.c_str());
        throw Error(ErrorKind::kResource, path_ + ": " + what + " (disk full?)");
    };
    {
        std::unique_ptr<BGZF, int (*)(BGZF*)> out(bgzf_open(packed.c_str(), "w"), bgzf_close);
        if (!out) fail("cannot write the compressed file");
        if (num_threads() > 1) bgzf_mt(out.get(), num_threads(), 256);
        std::ifstream in(temp_, std::ios::binary);
        std::vector<char> buf(1 << 20);
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            const auto n = static_cast<size_t>(in.gcount());
            if (n > 0 && bgzf_write(out.get(), buf.data(), n) != static_cast<ssize_t>(n))
                fail("compression failed");
        }
        if (!in.eof()) fail("cannot read back the text to compress");
        if (bgzf_close(out.release()) != 0) fail("compression failed");
    }
    std::remove(temp_.c_str());
    temp_ = packed;
}

std::ofstream AtomicFile::open(std::ios::openmode mode) const {
    std::ofstream out(temp_, is_stdout() ? mode | std::ios::app : mode);
    DNASSM_CHECK(
        out.good(), ErrorKind::kResource,
        (is_stdout() ? std::string("standard output") : path_) + ": cannot open for writing");
    return out;
}

void AtomicFile::commit() {
    if (is_stdout()) {
        committed_ = true;
        return;
    }
    if (bgzip_) compress_temp();
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
        throw Error(ErrorKind::kResource,
                    path_ + ": cannot rename temp file into place: " + std::strerror(errno));
    committed_ = true;
}

void AtomicFile::commit(std::ofstream& stream) {
    stream.close();
    DNASSM_CHECK(
        stream.good(), ErrorKind::kResource,
        (is_stdout() ? std::string("standard output") : path_) + ": write failed (disk full?)");
    commit();
}

void write_file(const std::string& path, const std::string& text) {
    AtomicFile file(path);
    std::ofstream out = file.open(std::ios::binary);
    out << text;
    file.commit(out);
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    DNASSM_CHECK(fs::exists(path, ec), ErrorKind::kResource, path + ": no such file");
    DNASSM_CHECK(!fs::is_directory(path, ec), ErrorKind::kResource,
                 path + ": is a folder, expected a file");
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
