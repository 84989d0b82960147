#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "fuzz_target.h"

namespace dnassm::fuzz {

std::string temp_file(const std::uint8_t* data, size_t size, const char* suffix) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("dnassm_fuzz_" + std::to_string(getpid()) + suffix))
                                 .string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace dnassm::fuzz
