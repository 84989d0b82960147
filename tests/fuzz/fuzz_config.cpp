// Model directories whose config.json is the input (JSON syntax, family detection, missing or
// mistyped fields, bad sizes, task heads), loaded through Model::load next to an empty
// model.safetensors (so a config that parses ends in a missing-tensor error).
#include <filesystem>
#include <fstream>

#include "dnassm/model.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string dir = [] {
        const auto d = std::filesystem::path(dnassm::fuzz::scratch_dir()) / "model";
        std::filesystem::create_directories(d);
        std::ofstream w(d / "model.safetensors", std::ios::binary);
        const char empty[] = "\x08\x00\x00\x00\x00\x00\x00\x00{}      ";
        w.write(empty, 16);
        return d.string();
    }();
    {
        std::ofstream c(dir + "/config.json", std::ios::binary | std::ios::trunc);
        c.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    return dnassm::fuzz::guarded([&] { (void)dnassm::Model::load(dir); });
}
