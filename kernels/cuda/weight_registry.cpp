#include "weight_registry.h"

#include <algorithm>
#include <functional>

namespace dnassm::cuda {

namespace {

bool before(const float* a, const float* b) { return std::less<const float*>()(a, b); }

}  // namespace

bool WeightRegistry::holds(const std::vector<Tensor>& weights) const {
    if (weights.size() != given_.size()) return false;
    for (size_t i = 0; i < weights.size(); ++i)
        if (weights[i].data<void>() != given_[i].first || weights[i].numel() != given_[i].second)
            return false;
    return true;
}

std::vector<WeightRegistry::Range> WeightRegistry::replace(const std::vector<Tensor>& weights) {
    std::vector<Range> dropped = std::move(ranges_);
    ranges_.clear();
    given_.clear();
    std::vector<Range> pieces;
    for (const Tensor& t : weights) {
        given_.emplace_back(t.data<void>(), t.numel());
        if (t.empty() || t.numel() == 0 || t.dtype() != DType::kF32 || t.device() != Device::kCpu)
            continue;
        pieces.push_back({t.f32(), t.numel(), nullptr, true, {t}});
    }
    std::sort(pieces.begin(), pieces.end(),
              [](const Range& a, const Range& b) { return before(a.host, b.host); });
    for (Range& r : pieces) {
        if (!ranges_.empty()) {
            Range& last = ranges_.back();
            const float* end = last.host + last.floats;
            if (before(r.host, end)) {  // overlaps (or repeats) the previous one: merge
                const float* r_end = r.host + r.floats;
                if (before(end, r_end)) last.floats = r_end - last.host;
                last.keep.push_back(std::move(r.keep.front()));
                continue;
            }
        }
        ranges_.push_back(std::move(r));
    }
    return dropped;
}

WeightRegistry::Range* WeightRegistry::find(const float* p, std::int64_t floats) {
    // The last range starting at or before p.
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), p,
                               [](const float* q, const Range& r) { return before(q, r.host); });
    if (it == ranges_.begin()) return nullptr;
    --it;
    const float* end = it->host + it->floats;
    return before(p, end) && !before(end, p + floats) ? &*it : nullptr;
}

void WeightRegistry::written(const float* p, std::int64_t floats) {
    for (Range& r : ranges_)
        if (before(p, r.host + r.floats) && before(r.host, p + floats)) r.stale = true;
}

void WeightRegistry::all_written() {
    for (Range& r : ranges_) r.stale = true;
}

}  // namespace dnassm::cuda
