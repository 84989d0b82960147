#include "dnassm/io/input_file.h"

#include <filesystem>
#include <mutex>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "dnassm/error.h"

namespace dnassm {

namespace {

struct InputFile {
    dev_t dev;
    ino_t ino;
    std::string path;
};

struct ProtectedInputs {
    std::mutex mutex;
    bool on = false;
    std::vector<InputFile> files;
    std::vector<InputFile> written;
};

const InputFile* find(const std::vector<InputFile>& files, const struct stat& st) {
    for (const InputFile& f : files)
        if (f.dev == st.st_dev && f.ino == st.st_ino) return &f;
    return nullptr;
}

ProtectedInputs& protected_inputs() {
    static ProtectedInputs inputs;
    return inputs;
}

}  // namespace

void require_readable_file(const std::string& path, const std::string& expected) {
    ProtectedInputs& inputs = protected_inputs();
    struct stat st {};
    if (path == "-") {  // standard input redirected from a file (< in.fa) is that file
        const std::lock_guard lock(inputs.mutex);
        if (inputs.on && fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
            inputs.files.push_back({st.st_dev, st.st_ino, "standard input"});
        return;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    DNASSM_CHECK(fs::exists(path, ec), ErrorKind::kResource, path + ": no such file");
    DNASSM_CHECK(!fs::is_directory(path, ec), ErrorKind::kResource,
                 path + ": is a folder, expected " + expected);
    DNASSM_CHECK(access(path.c_str(), R_OK) == 0, ErrorKind::kResource,
                 path + ": permission denied");
    const std::lock_guard lock(inputs.mutex);
    if (inputs.on && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        !find(inputs.written, st))
        inputs.files.push_back({st.st_dev, st.st_ino, path});
}

void require_distinct_files(const std::vector<std::string>& paths, const std::string& prefix) {
    namespace fs = std::filesystem;
    for (size_t i = 0; i < paths.size(); ++i)
        for (size_t j = 0; j < i; ++j) {
            std::error_code ec;
            DNASSM_CHECK(paths[i] != paths[j] && !fs::equivalent(paths[i], paths[j], ec),
                         ErrorKind::kUsage,
                         prefix + paths[i] + ": given twice" +
                             (paths[i] == paths[j] ? "" : " (as " + paths[j] + ")"));
        }
}

std::filesystem::path resolved_path(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    if (ec) return fs::path(path).lexically_normal();
    fs::path resolved = fs::weakly_canonical(absolute, ec);
    return ec ? absolute.lexically_normal() : resolved;
}

void note_written_file(const std::string& path) {
    ProtectedInputs& inputs = protected_inputs();
    struct stat st {};
    const std::lock_guard lock(inputs.mutex);
    if (inputs.on && stat(path.c_str(), &st) == 0)
        inputs.written.push_back({st.st_dev, st.st_ino, path});
}

void protect_input_files() {
    ProtectedInputs& inputs = protected_inputs();
    const std::lock_guard lock(inputs.mutex);
    inputs.on = true;
}

std::string input_file_same_as(const std::string& path) {
    ProtectedInputs& inputs = protected_inputs();
    struct stat st {};
    const std::lock_guard lock(inputs.mutex);
    if (inputs.files.empty() || stat(path.c_str(), &st) != 0) return "";
    const InputFile* input = find(inputs.files, st);
    return input ? input->path : "";
}

}  // namespace dnassm
