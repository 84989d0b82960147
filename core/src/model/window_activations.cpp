#include "window_activations.h"

namespace dnassm {

Tensor with_backend(Backend& be, const Tensor& t) {
    if (!be.activations_on_device() || t.empty() || t.device() != Device::kCpu) return t;
    Tensor a = be.activation(t.shape());
    be.upload(t.f32(), a.f32(), t.numel());
    return a;
}

Tensor WindowActivations::make(std::int64_t width) const { return be_.activation({L_, width}); }

Tensor WindowActivations::zeros(std::int64_t width) const {
    Tensor x = make(width);
    be_.zero(x.f32(), x.numel());
    return x;
}

void WindowActivations::copy(const Tensor& src,
                             std::int64_t s0,
                             const Tensor& dst,
                             std::int64_t d0,
                             std::int64_t cols,
                             Flip flip) const {
    be_.copy_block({.rows = L_,
                    .cols = cols,
                    .src = src.f32() + s0,
                    .ld_src = src.dim(1),
                    .dst = dst.f32() + d0,
                    .ld_dst = dst.dim(1),
                    .flip_rows = flip == Flip::kLength || flip == Flip::kLengthAndChannels,
                    .flip_cols = flip == Flip::kChannels || flip == Flip::kLengthAndChannels});
}

Tensor WindowActivations::part(const Tensor& x,
                               std::int64_t c0,
                               std::int64_t cols,
                               Flip flip) const {
    Tensor y = make(cols);
    copy(x, c0, y, 0, cols, flip);
    return y;
}

Tensor WindowActivations::sum(const Tensor& a, const Tensor& b) const {
    Tensor y = clone(a);
    add(y, b);
    return y;
}

void WindowActivations::add(const Tensor& x, const Tensor& y) const {
    be_.add_inplace(x.f32(), y.f32(), x.numel());
}

Tensor WindowActivations::upload(const float* host, std::int64_t width) const {
    Tensor x = make(width);
    be_.upload(host, x.f32(), x.numel());
    return x;
}

Tensor WindowActivations::to_host(const Tensor& x) const {
    Tensor y = Tensor::uninitialized(x.shape());
    be_.download(x.f32(), y.f32(), x.numel());
    return y;
}

}  // namespace dnassm
