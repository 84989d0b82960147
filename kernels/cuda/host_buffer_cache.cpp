#include "host_buffer_cache.h"

#include <algorithm>
#include <utility>

namespace dnassm::cuda {

std::shared_ptr<HostBufferCache> HostBufferCache::create(Alloc alloc, Free free, std::size_t keep) {
    return std::shared_ptr<HostBufferCache>(
        new HostBufferCache(std::move(alloc), std::move(free), keep));
}

HostBufferCache::HostBufferCache(Alloc alloc, Free free, std::size_t keep)
    : alloc_(std::move(alloc)), free_(std::move(free)), keep_(keep) {}

HostBufferCache::~HostBufferCache() {
    for (auto& [capacity, p] : cached_) free_(p);
}

std::shared_ptr<void> HostBufferCache::take(std::size_t bytes) {
    bytes = std::max<std::size_t>(bytes, 1);
    void* p = nullptr;
    std::size_t capacity = bytes;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        auto it = cached_.lower_bound(bytes);
        if (it != cached_.end() && it->first / 2 <= bytes) {
            capacity = it->first;
            p = it->second;
            cached_.erase(it);
        } else {
            ++allocations_;
        }
    }
    if (!p) p = alloc_(bytes);
    return {p, [self = shared_from_this(), capacity](void* q) { self->give_back(q, capacity); }};
}

void HostBufferCache::give_back(void* p, std::size_t capacity) {
    std::multimap<std::size_t, void*> extra;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        cached_.emplace(capacity, p);
        while (cached_.size() > keep_) extra.insert(cached_.extract(cached_.begin()));
    }
    for (auto& [c, q] : extra) free_(q);
}

std::size_t HostBufferCache::cached() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return cached_.size();
}

std::size_t HostBufferCache::allocations() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return allocations_;
}

}  // namespace dnassm::cuda
