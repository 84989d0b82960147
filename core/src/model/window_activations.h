// Internal: the {L, width} activations of one window, made by a Backend and rearranged only by
// its ops (column blocks, flips over length and channels, sums), so that on a GPU they stay in
// device memory from op to op. The Caduceus forward and the trainers build on it.
#pragma once

#include <cstdint>

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm {

/// Which axes a copy reverses: none, length (rows), or length and channels (Caduceus's
/// reverse-complement layout), or channels only.
enum class Flip { kNone, kLength, kLengthAndChannels, kChannels };

/// `t` as an activation of `be` (a copy uploaded to it) when those are device memory and `t` is
/// host memory; otherwise `t` itself. State carried across calls (a stream state, optimiser
/// moments) moves to the GPU this way the first time it meets one.
[[nodiscard]] Tensor with_backend(Backend& be, const Tensor& t);

class WindowActivations {
  public:
    WindowActivations(Backend& backend, std::int64_t L) : be_(backend), L_(L) {}

    [[nodiscard]] Backend& backend() const { return be_; }
    [[nodiscard]] std::int64_t length() const { return L_; }

    /// An uninitialised {L, width} activation (for outputs an op writes in full).
    [[nodiscard]] Tensor make(std::int64_t width) const;
    /// A zero-filled one (for gradients, which the backward ops accumulate into).
    [[nodiscard]] Tensor zeros(std::int64_t width) const;
    /// dst[:, d0 : d0 + cols] = src[:, s0 : s0 + cols], flipped as asked.
    void copy(const Tensor& src,
              std::int64_t s0,
              const Tensor& dst,
              std::int64_t d0,
              std::int64_t cols,
              Flip flip = Flip::kNone) const;
    /// Columns [c0, c0 + cols) of x as a new activation, flipped as asked.
    [[nodiscard]] Tensor part(const Tensor& x,
                              std::int64_t c0,
                              std::int64_t cols,
                              Flip flip = Flip::kNone) const;
    [[nodiscard]] Tensor clone(const Tensor& x) const { return part(x, 0, x.dim(1)); }
    /// a + b as a new activation.
    [[nodiscard]] Tensor sum(const Tensor& a, const Tensor& b) const;
    /// x += y.
    void add(const Tensor& x, const Tensor& y) const;
    /// A host {L, width} tensor (or L · width floats) as an activation, and back.
    [[nodiscard]] Tensor upload(const float* host, std::int64_t width) const;
    [[nodiscard]] Tensor to_host(const Tensor& x) const;

  private:
    Backend& be_;
    std::int64_t L_;
};

}  // namespace dnassm
