#include "dnassm/shard.h"

#include <algorithm>
#include <utility>

#include "dnassm/error.h"

namespace dnassm {

std::string Shard::label() const { return std::to_string(index + 1) + "/" + std::to_string(count); }

Shard parse_shard(const std::string& spec) {
    const auto number = [](const std::string& s, std::int64_t& v) {
        if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
            return false;
        v = std::stoll(s);
        return true;
    };
    const size_t slash = spec.find('/');
    std::int64_t i = 0, n = 0;
    DNASSM_CHECK(slash != std::string::npos && number(spec.substr(0, slash), i) &&
                     number(spec.substr(slash + 1), n),
                 ErrorKind::kUsage, "--shard: '" + spec + "' is not I/N (e.g. 2/8)");
    DNASSM_CHECK(n >= 1, ErrorKind::kUsage,
                 "--shard " + spec + ": N, the number of shards, must be at least 1");
    DNASSM_CHECK(i >= 1 && i <= n, ErrorKind::kUsage,
                 "--shard " + spec + ": shards are numbered 1 to " + std::to_string(n));
    return {i - 1, n};
}

namespace {

// [T*i/N, T*(i+1)/N) of T items; Error(kUsage) when T < N.
std::pair<std::int64_t, std::int64_t> piece(std::int64_t total,
                                            const Shard& shard,
                                            const std::string& what) {
    DNASSM_CHECK(total >= shard.count, ErrorKind::kUsage,
                 "--shard " + shard.label() + ": more shards than " + what + " (" +
                     std::to_string(total) + ")");
    // T * k may pass 2^63 (a genome in a billion shards); the boundaries must be exact.
    const auto bound = [&](std::int64_t k) {
        return static_cast<std::int64_t>(static_cast<__int128>(total) * k / shard.count);
    };
    return {bound(shard.index), bound(shard.index + 1)};
}

}  // namespace

RecordRange shard_records(std::int64_t total, const Shard& shard, const std::string& what) {
    const auto [from, to] = piece(total, shard, what);
    return {from, to};
}

std::vector<Region> shard_bases(const std::vector<Region>& regions,
                                const Shard& shard,
                                std::int64_t align) {
    std::int64_t total = 0;
    for (const Region& r : regions) total += r.length();
    auto [from, to] = piece(total, shard, "bases to run");
    // A cut at offset c of the concatenation, moved back to a multiple of `align` on its contig
    // (both shards that meet there move it alike).
    const auto aligned = [&](std::int64_t c) {
        std::int64_t at = 0;
        for (const Region& r : regions) {
            if (c < at + r.length()) {
                const std::int64_t pos = r.beg + (c - at);
                return at + std::max(r.beg, pos / align * align) - r.beg;
            }
            at += r.length();
        }
        return c;  // the end
    };
    if (align > 1) {
        from = aligned(from);
        to = aligned(to);
    }
    std::vector<Region> out;
    std::int64_t at = 0;  // bases before region r
    for (const Region& r : regions) {
        const std::int64_t beg = std::max(from, at), end = std::min(to, at + r.length());
        if (beg < end) {
            Region piece = r;
            piece.beg = r.beg + (beg - at);
            piece.end = r.beg + (end - at);
            out.push_back(piece);
        }
        at += r.length();
    }
    return out;
}

}  // namespace dnassm
