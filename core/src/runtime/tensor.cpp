#include "dnassm/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "dnassm/error.h"

namespace dnassm {

std::size_t dtype_size(DType) { return 4; }  // f32 and i32 alike
const char* dtype_name(DType dtype) { return dtype == DType::kF32 ? "f32" : "i32"; }

static std::int64_t count(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (auto d : shape) {
        DNASSM_CHECK(d >= 0, ErrorKind::kInternal, "negative tensor dimension");
        n *= d;
    }
    return n;
}

Tensor::Tensor(std::vector<std::int64_t> shape, DType dtype)
    : Tensor(uninitialized(std::move(shape), dtype)) {
    std::memset(data_, 0, static_cast<std::size_t>(numel_) * dtype_size(dtype_));
}

Tensor Tensor::uninitialized(std::vector<std::int64_t> shape, DType dtype) {
    Tensor t;
    t.numel_ = count(shape);
    t.shape_ = std::move(shape);
    t.dtype_ = dtype;
    const std::size_t bytes = static_cast<std::size_t>(t.numel_) * dtype_size(dtype);
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!p)
        throw Error(ErrorKind::kResource,
                    "out of memory allocating a tensor of " + std::to_string(bytes) + " bytes");
    t.owner_ =
        std::shared_ptr<const void>(p, [](const void* q) { std::free(const_cast<void*>(q)); });
    t.data_ = p;
    return t;
}

Tensor Tensor::borrow(void* data,
                      std::vector<std::int64_t> shape,
                      DType dtype,
                      std::shared_ptr<const void> keep_alive,
                      Device device) {
    Tensor t;
    t.device_ = device;
    t.shape_ = std::move(shape);
    t.numel_ = count(t.shape_);
    t.dtype_ = dtype;
    t.owner_ = std::move(keep_alive);
    t.data_ = data;
    return t;
}

std::int64_t Tensor::dim(int i) const {
    DNASSM_ASSERT(i >= -rank() && i < rank());
    return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)];
}

std::string Tensor::shape_str() const {
    std::string s = "[";
    for (size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
    return s + "]";
}

float* Tensor::f32() const {
    DNASSM_ASSERT(dtype_ == DType::kF32);
    return static_cast<float*>(data_);
}

Tensor Tensor::reshape(std::vector<std::int64_t> shape) const {
    DNASSM_ASSERT(count(shape) == numel_);
    Tensor t = *this;
    t.shape_ = std::move(shape);
    return t;
}

Tensor Tensor::slice_rows(std::int64_t begin, std::int64_t end) const {
    DNASSM_ASSERT(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0]);
    const std::int64_t row = shape_[0] ? numel_ / shape_[0] : 0;
    Tensor t = *this;
    t.shape_[0] = end - begin;
    t.numel_ = row * (end - begin);
    t.data_ =
        static_cast<char*>(data_) + begin * row * static_cast<std::int64_t>(dtype_size(dtype_));
    return t;
}

Tensor Tensor::clone() const {
    DNASSM_CHECK(device_ == Device::kCpu, ErrorKind::kInternal,
                 "clone() of a tensor in device memory (use Backend::download)");
    Tensor t = uninitialized(shape_, dtype_);
    if (numel_) std::memcpy(t.data_, data_, static_cast<size_t>(numel_) * dtype_size(dtype_));
    return t;
}

}  // namespace dnassm
