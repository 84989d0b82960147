// Internal: the long-convolution filter spectra of a Hyena layer, kept across inference calls on
// a backend that caches_hyena_filters(). A genome run tiles its contigs into windows of one
// length, so every window after the first skips the filter's basis, GEMM, modulation and FFTs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace dnassm {

struct HyenaLayer;

class HyenaFilterCache {
  public:
    /// Spectra beyond `budget_bytes` in all are computed every call instead of kept.
    explicit HyenaFilterCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

    /// The spectrum kept for windows of L bases under weights `fingerprint`, or null.
    [[nodiscard]] std::shared_ptr<const std::vector<float>> find(std::int64_t L,
                                                                 std::uint64_t fingerprint) const;
    /// Whether a spectrum of `bytes` for weights `fingerprint` would be kept: asked first, so a
    /// call whose spectrum would not be kept (a long window) does not hand one back at all.
    [[nodiscard]] bool has_room(std::uint64_t fingerprint, std::size_t bytes) const;
    /// Keeps `spectrum` for L within the budget. Spectra of other weights (a trainer changed
    /// them in place) are dropped first.
    void keep(std::int64_t L, std::uint64_t fingerprint, std::vector<float> spectrum);

  private:
    mutable std::mutex mutex_;
    std::size_t budget_, bytes_ = 0;
    std::uint64_t fingerprint_ = 0;
    std::map<std::int64_t, std::shared_ptr<const std::vector<float>>> by_length_;
};

/// A hash of the weights the layer's filter is computed from (the implicit MLP, its frequency,
/// projection and modulation; not the fixed positions) and of the taps kept (`taps`, 0: all),
/// read afresh each call: weights a trainer updates in place never meet a spectrum of the old.
[[nodiscard]] std::uint64_t hyena_filter_fingerprint(const HyenaLayer& l, std::int64_t taps);

}  // namespace dnassm
