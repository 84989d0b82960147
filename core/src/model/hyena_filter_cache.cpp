#include "hyena_filter_cache.h"

#include <cstring>

#include "hyena.h"

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
    // FNV-1a over 32-bit words: the values' bits, not their rounding.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](std::uint64_t word) { h = (h ^ word) * 0x100000001b3ULL; };
    auto add = [&](const Tensor& t) {
        mix(static_cast<std::uint64_t>(t.numel()));
        const float* p = t.empty() ? nullptr : t.f32();
        for (std::int64_t i = 0; i < t.numel(); ++i) {
            std::uint32_t bits = 0;
            std::memcpy(&bits, p + i, sizeof bits);
            mix(bits);
        }
    };
    for (const Tensor& t : l.mlp_w) add(t);
    for (const Tensor& t : l.mlp_b) add(t);
    // z and t (positions, l_max rows each) are fixed at load and never trained: left out, since
    // hashing a 1 M-position model's would cost more than a short window's filter.
    for (const Tensor* t : {&l.freq, &l.filter_out_w, &l.deltas}) add(*t);
    mix(static_cast<std::uint64_t>(taps));
    return h;
}

}  // namespace dnassm
