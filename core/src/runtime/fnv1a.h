// Internal: FNV-1a (64-bit) over bytes, for fingerprints that catch changed or damaged values (a
// model file, a saved stream state, a Hyena filter's weights); not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dnassm {

class Fnv1a {
  public:
    void add(const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i) h_ = (h_ ^ p[i]) * 1099511628211ull;
    }
    [[nodiscard]] std::uint64_t value() const { return h_; }
    /// 16 lower-case hex digits.
    [[nodiscard]] std::string hex() const {
        char s[17];
        std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(h_));
        return s;
    }

  private:
    std::uint64_t h_ = 14695981039346656037ull;
};

}  // namespace dnassm
