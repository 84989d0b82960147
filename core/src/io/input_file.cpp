#include "dnassm/io/input_file.h"

#include <filesystem>

#include <unistd.h>

#include "dnassm/error.h"

namespace dnassm {

void require_readable_file(const std::string& path, const std::string& expected) {
    if (path == "-") return;
    namespace fs = std::filesystem;
    std::error_code ec;
    DNASSM_CHECK(fs::exists(path, ec), ErrorKind::kResource, path + ": no such file");
    DNASSM_CHECK(!fs::is_directory(path, ec), ErrorKind::kResource,
                 path + ": is a folder, expected " + expected);
    DNASSM_CHECK(access(path.c_str(), R_OK) == 0, ErrorKind::kResource,
                 path + ": permission denied");
}

}  // namespace dnassm
