#include "hyena_filter_cache.h"

#include "hyena.h"
#include "runtime/fnv1a.h"

namespace dnassm {

std::shared_ptr<const std::vector<float>> HyenaFilterCache::find(std::int64_t L,
                                                                 std::uint64_t fingerprint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fingerprint != fingerprint_) return nullptr;
    const auto it = by_length_.find(L);
    return it == by_length_.end() ? nullptr : it->second;
}

bool HyenaFilterCache::has_room(std::uint64_t fingerprint, std::size_t bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return (fingerprint == fingerprint_ ? bytes_ : 0) + bytes <= budget_;
}

void HyenaFilterCache::keep(std::int64_t L,
                            std::uint64_t fingerprint,
                            std::vector<float> spectrum) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fingerprint != fingerprint_) {
        by_length_.clear();
        bytes_ = 0;
        fingerprint_ = fingerprint;
    }
    const std::size_t bytes = spectrum.size() * sizeof(float);
    if (by_length_.count(L) || bytes_ + bytes > budget_) return;
    bytes_ += bytes;
    by_length_.emplace(L, std::make_shared<const std::vector<float>>(std::move(spectrum)));
}

std::uint64_t hyena_filter_fingerprint(const HyenaLayer& l, std::int64_t taps) {
    Fnv1a h;  // the values' bits, not their rounding
    auto add = [&](const Tensor& t) {
        const std::int64_t n = t.numel();
        h.add(&n, sizeof n);
        if (n > 0) h.add(t.f32(), static_cast<size_t>(n) * sizeof(float));
    };
    for (const Tensor& t : l.mlp_w) add(t);
    for (const Tensor& t : l.mlp_b) add(t);
    // z and t (positions, l_max rows each) are fixed at load and never trained: left out, since
    // hashing a 1 M-position model's would cost more than a short window's filter.
    for (const Tensor* t : {&l.freq, &l.filter_out_w, &l.deltas}) add(*t);
    h.add(&taps, sizeof taps);
    return h.value();
}

}  // namespace dnassm
