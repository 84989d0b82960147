// --shard I/N: the share of a job that process I of N runs, so an array job or a workflow can fan
// out without a splitter of its own (as DeepVariant's --task i), and gather the N outputs after
// by putting them one after another in shard order:
//  - per-base tracks (predict) are split by bases: shard I gets the I-th of N consecutive pieces
//    of the regions, of equal size to within a base; `dnassm merge` gathers the N tracks;
//  - records (embed, score, a classifier's predict) are split into N consecutive blocks of equal
//    count to within one: the outputs concatenated in shard order are the unsharded output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

struct Shard {
    std::int64_t index = 0, count = 1;  // 0-based index

    [[nodiscard]] bool whole() const { return count == 1; }
    /// "I/N", 1-based as the user gave it.
    [[nodiscard]] std::string label() const;
};

/// Parses "I/N" with 1 <= I <= N; Error(kUsage) otherwise.
[[nodiscard]] Shard parse_shard(const std::string& spec);

/// The shard's piece of `regions` (in their order): bases [T*i/N, T*(i+1)/N) of their
/// concatenation (T bases in all), regions cut where the piece starts and ends. With align > 1
/// each cut moves back to the nearest multiple of `align` on its contig (not before its region's
/// start), so no bin of that size is cut in two; a piece may then be empty. Error(kUsage) when
/// there are fewer bases than shards.
[[nodiscard]] std::vector<Region> shard_bases(const std::vector<Region>& regions,
                                              const Shard& shard,
                                              std::int64_t align = 1);

/// Records [begin, end) (0-based, in input order) of the shard's block.
struct RecordRange {
    std::int64_t begin = 0, end = INT64_MAX;
    [[nodiscard]] bool contains(std::int64_t k) const { return k >= begin && k < end; }
};

/// The shard's block of `total` records; Error(kUsage) naming `what` ("records of in.vcf") when
/// there are fewer records than shards.
[[nodiscard]] RecordRange shard_records(std::int64_t total,
                                        const Shard& shard,
                                        const std::string& what);

}  // namespace dnassm
