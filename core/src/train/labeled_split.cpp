#include "train/labeled_split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "dnassm/error.h"

#include "train/splitmix.h"

namespace dnassm {

namespace {

// Indices in `pick` ordered by a seeded key per input position: a reproducible permutation.
void permute(std::vector<size_t>& pick, std::uint64_t seed) {
    std::vector<std::pair<std::uint64_t, size_t>> keyed;
    keyed.reserve(pick.size());
    for (size_t i : pick) keyed.emplace_back(splitmix64(splitmix64(seed) ^ i), i);
    std::sort(keyed.begin(), keyed.end());
    for (size_t k = 0; k < pick.size(); ++k) pick[k] = keyed[k].second;
}

}  // namespace

std::vector<LabeledSequence> random_sample(std::vector<LabeledSequence> all,
                                           size_t n,
                                           std::uint64_t seed) {
    if (all.size() <= n) return all;
    std::vector<size_t> order(all.size());
    std::iota(order.begin(), order.end(), size_t{0});
    permute(order, seed);
    order.resize(n);
    std::sort(order.begin(), order.end());
    std::vector<LabeledSequence> out;
    out.reserve(n);
    for (size_t i : order) out.push_back(std::move(all[i]));
    return out;
}

LabeledSplit hold_out(std::vector<LabeledSequence> all,
                      double fraction,
                      std::uint64_t seed,
                      bool per_class) {
    std::map<std::string, std::vector<size_t>> by_class;
    for (size_t i = 0; i < all.size(); ++i) by_class[per_class ? all[i].label : ""].push_back(i);
    std::vector<char> is_val(all.size(), 0);
    for (auto& [label, members] : by_class) {
        if (members.size() < 2) continue;
        const auto want =
            static_cast<size_t>(std::llround(fraction * static_cast<double>(members.size())));
        const size_t n = std::clamp<size_t>(want, 1, members.size() - 1);
        permute(members, seed);
        for (size_t k = 0; k < n; ++k) is_val[members[k]] = 1;
    }
    LabeledSplit s;
    for (size_t i = 0; i < all.size(); ++i)
        (is_val[i] ? s.val : s.train).push_back(std::move(all[i]));
    return s;
}

LabeledSplit split_by_regions(std::vector<LabeledSequence> all,
                              const std::vector<Region>& val_regions,
                              const std::vector<Region>& train_regions) {
    const RegionIndex val(val_regions), train(train_regions);
    LabeledSplit s;
    for (auto& e : all) {
        const Region& r = e.region;
        DNASSM_CHECK(!r.contig.empty(), ErrorKind::kUsage,
                     "--val-region/--train-region need examples with coordinates (a BED and "
                     "--fasta); '" +
                         e.id + "' has none");
        if (val.overlaps(r.contig, r.beg, r.end))
            s.val.push_back(std::move(e));
        else if (train_regions.empty() || train.overlaps(r.contig, r.beg, r.end))
            s.train.push_back(std::move(e));
    }
    return s;
}

}  // namespace dnassm
