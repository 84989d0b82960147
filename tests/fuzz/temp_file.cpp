#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "fuzz_target.h"

namespace dnassm::fuzz {

const std::string& scratch_dir() {
    static const std::string dir = [] {
        const auto d =
            std::filesystem::temp_directory_path() / ("dnassm_fuzz_" + std::to_string(getpid()));
        std::filesystem::create_directories(d);
        return d.string();
    }();
    return dir;
}

std::string temp_file(const std::uint8_t* data, size_t size, const char* suffix) {
    const std::string path = scratch_dir() + "/input" + suffix;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace dnassm::fuzz
