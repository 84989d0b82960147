// Without libFuzzer: runs every file of the given corpus folders, then deterministic mutations of
// each (bit flips, byte changes, truncations, duplications, splices with another seed), through
// LLVMFuzzerTestOneInput. `replay_main CORPUS... [--mutations N]`.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size);

namespace {

std::uint64_t next(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void run(const std::string& bytes) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> seeds;
    long mutations = 300;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--mutations" && i + 1 < argc) {
            mutations = std::stol(argv[++i]);
            continue;
        }
        for (const auto& e : std::filesystem::directory_iterator(a)) {
            std::ifstream in(e.path(), std::ios::binary);
            seeds.emplace_back(std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>());
        }
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "replay: no seed files\n");
        return 2;
    }
    run("");
    std::uint64_t s = 12345;
    for (const auto& seed : seeds) {
        run(seed);
        for (long m = 0; m < mutations; ++m) {
            std::string x = seed;
            const int edits = 1 + static_cast<int>(next(s) % 4);
            for (int e = 0; e < edits && !x.empty(); ++e) {
                const size_t at = next(s) % x.size();
                switch (next(s) % 6) {
                    case 0:
                        x[at] = static_cast<char>(x[at] ^ (1 << (next(s) % 8)));
                        break;
                    case 1:
                        x[at] = static_cast<char>(next(s));
                        break;
                    case 2:
                        x.resize(at);
                        break;
                    case 3:
                        x.insert(at, x.substr(at, next(s) % 16));
                        break;
                    case 4:
                        x.erase(at, next(s) % 16);
                        break;
                    default: {
                        const std::string& other = seeds[next(s) % seeds.size()];
                        x = x.substr(0, at) + other.substr(std::min(other.size(), at));
                    }
                }
            }
            run(x);
        }
    }
    std::printf("replay: %zu seeds, %ld mutations each: no crash, every refusal a dnassm::Error\n",
                seeds.size(), mutations);
    std::error_code ec;
    std::filesystem::remove_all(dnassm::fuzz::scratch_dir(), ec);
    return 0;
}
