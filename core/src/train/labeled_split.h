// Internal (training, issue B): which labeled sequences a classifier trains on and which it is
// validated on, when the user gives no separate --val file. Every draw depends only on the seed
// and the examples' positions in the input, never on the standard library's shuffle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

/// One labeled sequence (classification).
struct LabeledSequence {
    std::string id;
    std::string seq;
    std::string label;
    Region region;  // where it came from (BED input); contig empty for a CSV row
};

struct LabeledSplit {
    std::vector<LabeledSequence> train, val;
};

/// A simple random sample of at most n examples (seeded), in input order.
[[nodiscard]] std::vector<LabeledSequence> random_sample(std::vector<LabeledSequence> all,
                                                         size_t n,
                                                         std::uint64_t seed);

/// Holds out round(fraction x count) examples of every class (at least one of a class with two
/// or more), drawn at random (seeded); both parts keep input order. An input sorted by label, or
/// by position, still gives a validation set with every class in it. With per_class = false
/// (regression targets) the examples are one group.
[[nodiscard]] LabeledSplit hold_out(std::vector<LabeledSequence> all,
                                    double fraction,
                                    std::uint64_t seed,
                                    bool per_class = true);

/// Examples that share a base with any of `val_regions` validate; the others train, and with
/// `train_regions` given only those sharing a base with one of them. An example near both sides
/// goes to validation only, so no training window reaches into held-out sequence. Examples
/// without coordinates (CSV rows) are Error(kUsage).
[[nodiscard]] LabeledSplit split_by_regions(std::vector<LabeledSequence> all,
                                            const std::vector<Region>& val_regions,
                                            const std::vector<Region>& train_regions);

}  // namespace dnassm
