// dnassm::Tensor — the one tensor type.
//
// A Tensor is a dense, contiguous, row-major array of float32 (or int32 token ids) with shape
// outermost first, e.g. activations {L, D} or {B, L, D}. Storage is shared: copying a Tensor
// copies a handle, clone() copies the data. A Tensor can also borrow external memory (e.g. a
// mapped weight file); the owner must then outlive it. A Tensor on a GPU (Backend::activation)
// holds device memory: only backend ops and Backend::download read it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dnassm {

enum class DType { kF32, kI32 };
enum class Device { kCpu, kCuda };

[[nodiscard]] std::size_t dtype_size(DType dtype);
[[nodiscard]] const char* dtype_name(DType dtype);

class Tensor {
  public:
    Tensor() = default;
    /// Allocates a zero-filled tensor.
    explicit Tensor(std::vector<std::int64_t> shape, DType dtype = DType::kF32);
    Tensor(std::initializer_list<std::int64_t> shape, DType dtype = DType::kF32)
        : Tensor(std::vector<std::int64_t>(shape), dtype) {}
    /// Allocates without zeroing: for outputs that are written in full before being read (large
    /// activations, where the memset is a measurable cost).
    static Tensor uninitialized(std::vector<std::int64_t> shape, DType dtype = DType::kF32);
    /// Borrows `data` (not owned; `keep_alive` is held to keep its owner alive, may be null).
    static Tensor borrow(void* data,
                         std::vector<std::int64_t> shape,
                         DType dtype,
                         std::shared_ptr<const void> keep_alive = nullptr,
                         Device device = Device::kCpu);

    [[nodiscard]] const std::vector<std::int64_t>& shape() const { return shape_; }
    [[nodiscard]] std::int64_t dim(int i) const;
    [[nodiscard]] int rank() const { return static_cast<int>(shape_.size()); }
    [[nodiscard]] std::int64_t numel() const { return numel_; }
    [[nodiscard]] DType dtype() const { return dtype_; }
    [[nodiscard]] Device device() const { return device_; }
    [[nodiscard]] bool empty() const { return data_ == nullptr; }
    [[nodiscard]] std::string shape_str() const;

    template <typename T>
    [[nodiscard]] T* data() const {
        return static_cast<T*>(data_);
    }
    [[nodiscard]] float* f32() const;
    [[nodiscard]] std::span<float> span_f32() const { return {f32(), static_cast<size_t>(numel_)}; }

    /// Same storage, new shape with the same number of elements.
    [[nodiscard]] Tensor reshape(std::vector<std::int64_t> shape) const;
    /// Rows [begin, end) of the outermost dimension, sharing storage.
    [[nodiscard]] Tensor slice_rows(std::int64_t begin, std::int64_t end) const;
    /// Deep copy (of a host tensor).
    [[nodiscard]] Tensor clone() const;

  private:
    std::vector<std::int64_t> shape_;
    std::int64_t numel_ = 0;
    DType dtype_ = DType::kF32;
    Device device_ = Device::kCpu;
    std::shared_ptr<const void> owner_;
    void* data_ = nullptr;
};

}  // namespace dnassm
