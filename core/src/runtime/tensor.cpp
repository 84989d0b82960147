#include "dnassm/tensor.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include <sys/mman.h>

#include "dnassm/error.h"

namespace dnassm {

std::size_t dtype_size(DType) { return 4; }  // f32 and i32 alike
const char* dtype_name(DType dtype) { return dtype == DType::kF32 ? "f32" : "i32"; }

namespace {

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define DNASSM_ADDRESS_SANITIZER 1
#elif defined(__has_feature)  // Clang
#if __has_feature(address_sanitizer)
#define DNASSM_ADDRESS_SANITIZER 1
#endif
#endif

#ifdef DNASSM_ADDRESS_SANITIZER
// Under AddressSanitizer every tensor comes from malloc, where it guards the bounds.
constexpr std::size_t kHugePage = 2 << 20, kHugeTensorBytes = SIZE_MAX;
#else
constexpr std::size_t kHugePage = 2 << 20, kHugeTensorBytes = 8 << 20;
#endif

// Large buffers (weights, long windows' activations) are mappings of their own on transparent huge
// pages: a first touch faults once per 2 MB instead of once per 4 kB page (where THP is set to
// "madvise", huge pages go only to memory that asks). From glibc's heap, huge pages would also back
// the small allocations that later reuse freed space (the resident size grew by half). Freed
// mappings up to 128 MB are kept, up to 256 MB in all, for the next buffer of the same size: a
// streamed chunk or a window allocates the same sizes as the one before, and a kept mapping needs
// neither a fault nor the kernel's zeroing of its pages.
class HugeBuffers {
  public:
    static HugeBuffers& instance() {
        static auto& buffers = *new HugeBuffers;  // never destroyed: tensors may outlive statics
        return buffers;
    }

    std::shared_ptr<const void> take(std::size_t bytes) {
        const std::size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
        void* p = reuse(size);
        if (!p) p = map(size, bytes);
        return std::shared_ptr<const void>(
            p, [size](const void* q) { instance().give(const_cast<void*>(q), size); });
    }

  private:
    static constexpr std::size_t kKeepEach = 128 << 20, kKeepAll = 256 << 20;

    void* reuse(std::size_t size) {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = kept_.find(size);
        if (it == kept_.end()) return nullptr;
        void* p = it->second;
        kept_.erase(it);
        kept_bytes_ -= size;
        return p;
    }

    void give(void* p, std::size_t size) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (size <= kKeepEach && kept_bytes_ + size <= kKeepAll) {
                kept_.emplace(size, p);
                kept_bytes_ += size;
                return;
            }
        }
        munmap(p, size);
    }

    static void* map(std::size_t size, std::size_t bytes) {
        void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED)
            throw Error(ErrorKind::kResource,
                        "out of memory allocating a tensor of " + std::to_string(bytes) + " bytes");
        // Keep the 2 MB-aligned part only.
        auto* base = static_cast<char*>(raw);
        const auto head =
            (kHugePage - reinterpret_cast<std::uintptr_t>(base) % kHugePage) % kHugePage;
        if (head) munmap(base, head);
        munmap(base + head + size, kHugePage - head);
        void* p = base + head;
        (void)madvise(p, size, MADV_HUGEPAGE);
        return p;
    }

    std::mutex mutex_;
    std::multimap<std::size_t, void*> kept_;
    std::size_t kept_bytes_ = 0;
};

}  // namespace

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
    if (bytes >= kHugeTensorBytes) {
        t.owner_ = HugeBuffers::instance().take(bytes);
        t.data_ = const_cast<void*>(t.owner_.get());
        return t;
    }
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
