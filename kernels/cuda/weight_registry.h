// The weights a CUDA backend keeps on its device between ops (Backend::keep_weights): host
// address ranges with their device copies, found by address for any pointer into them. Pure host
// bookkeeping, tested on the CPU; the backend allocates and uploads the copies.
#pragma once

#include <cstdint>
#include <vector>

#include "dnassm/tensor.h"

namespace dnassm::cuda {

class WeightRegistry {
  public:
    struct Range {
        const float* host = nullptr;
        std::int64_t floats = 0;
        float* device = nullptr;   // the copy, null until first use (the backend's to free)
        bool stale = true;         // the copy must be uploaded before it is read
        std::vector<Tensor> keep;  // the tensors whose memory this is (kept alive)
    };

    /// Whether `weights` is the set held now (the same tensors, in the same order).
    [[nodiscard]] bool holds(const std::vector<Tensor>& weights) const;
    /// Replaces the set: host float tensors only (others are left to staging), one range per
    /// run of overlapping tensors, sorted by address. Returns the ranges dropped, whose device
    /// copies the caller frees.
    std::vector<Range> replace(const std::vector<Tensor>& weights);
    /// The range holding all of [p, p + floats), or null.
    [[nodiscard]] Range* find(const float* p, std::int64_t floats);
    /// [p, p + floats) was written on the host: every range overlapping it is stale.
    void written(const float* p, std::int64_t floats);
    void all_written();
    [[nodiscard]] std::vector<Range>& ranges() { return ranges_; }

  private:
    std::vector<Range> ranges_;                                // disjoint, sorted by host address
    std::vector<std::pair<const void*, std::int64_t>> given_;  // the last set, as given
};

}  // namespace dnassm::cuda
