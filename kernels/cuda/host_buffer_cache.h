// Host buffers from an allocator too slow to call per use: CUDA's page-locked memory, which the
// device copies into asynchronously and at full speed, but whose allocation takes milliseconds
// and can wait for the device. A buffer goes back to the cache when the last holder of it lets
// go; a request takes the smallest cached buffer that fits and is at most twice the size asked
// for, else a new one. At most `keep` buffers stay cached (the smallest are freed first).
// Host code only, so the CPU tests check the policy with malloc.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace dnassm::cuda {

class HostBufferCache : public std::enable_shared_from_this<HostBufferCache> {
  public:
    using Alloc = std::function<void*(std::size_t)>;  // throws on failure
    using Free = std::function<void(void*)>;

    static std::shared_ptr<HostBufferCache> create(Alloc alloc, Free free, std::size_t keep);
    ~HostBufferCache();
    HostBufferCache(const HostBufferCache&) = delete;
    HostBufferCache& operator=(const HostBufferCache&) = delete;

    /// A buffer of at least `bytes` bytes. The cache lives as long as any buffer it handed out.
    [[nodiscard]] std::shared_ptr<void> take(std::size_t bytes);

    [[nodiscard]] std::size_t cached() const;       // buffers waiting for reuse
    [[nodiscard]] std::size_t allocations() const;  // calls to the allocator so far

  private:
    HostBufferCache(Alloc alloc, Free free, std::size_t keep);
    void give_back(void* p, std::size_t capacity);

    Alloc alloc_;
    Free free_;
    std::size_t keep_;
    mutable std::mutex mutex_;
    std::multimap<std::size_t, void*> cached_;  // capacity -> buffer
    std::size_t allocations_ = 0;
};

}  // namespace dnassm::cuda
