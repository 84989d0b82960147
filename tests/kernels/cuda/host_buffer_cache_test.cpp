// The CUDA backend's cache of page-locked download buffers (kernels/cuda/host_buffer_cache.h),
// on the CPU with malloc: what is reused, what is allocated, what is freed and when.
#include "cuda/host_buffer_cache.h"

#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

using cuda::HostBufferCache;

struct Counting {
    std::set<void*> live;
    int frees = 0;
    std::shared_ptr<HostBufferCache> make(std::size_t keep) {
        return HostBufferCache::create(
            [this](std::size_t n) {
                void* p = std::malloc(n);
                live.insert(p);
                return p;
            },
            [this](void* p) {
                ASSERT_EQ(live.erase(p), 1u) << "freed twice or never allocated";
                ++frees;
                std::free(p);
            },
            keep);
    }
};

TEST(CudaHostBufferCache, ReusesABufferThatFitsAndIsAtMostTwiceTheSize) {
    Counting c;
    auto cache = c.make(4);
    void* first = nullptr;
    {
        auto a = cache->take(1000);
        first = a.get();
        static_cast<char*>(a.get())[999] = 1;  // the whole size is usable
    }
    EXPECT_EQ(cache->cached(), 1u);
    {
        auto b = cache->take(600);  // 1000 fits and is under twice 600
        EXPECT_EQ(b.get(), first);
        EXPECT_EQ(cache->cached(), 0u);
        auto c2 = cache->take(400);  // nothing cached: a new buffer
        EXPECT_NE(c2.get(), first);
    }
    EXPECT_EQ(cache->allocations(), 2u);
    {
        auto big = cache->take(1001);   // larger than both cached buffers
        auto small = cache->take(100);  // 400 is more than twice 100
        EXPECT_EQ(cache->allocations(), 4u);
        auto again = cache->take(1000);  // the 1000 one, still cached
        EXPECT_EQ(again.get(), first);
    }
    EXPECT_EQ(c.frees, 0);
    EXPECT_EQ(cache->cached(), 4u);
}

TEST(CudaHostBufferCache, KeepsAtMostKeepBuffersFreeingTheSmallest) {
    Counting c;
    auto cache = c.make(2);
    { auto a = cache->take(100), b = cache->take(200), d = cache->take(300); }
    EXPECT_EQ(cache->cached(), 2u);
    EXPECT_EQ(c.frees, 1);
    auto x = cache->take(150);  // 100 was freed, 200 fits
    auto y = cache->take(300);
    EXPECT_EQ(cache->allocations(), 3u);
    EXPECT_EQ(cache->cached(), 0u);
}

TEST(CudaHostBufferCache, OutlivesItsOwnerWhileBuffersAreHeld) {
    Counting c;
    auto cache = c.make(4);
    auto held = cache->take(64);
    cache->take(32).reset();
    cache.reset();  // the backend is gone; the held buffer keeps the cache alive
    EXPECT_EQ(c.frees, 0);
    held.reset();  // last holder: both buffers freed
    EXPECT_EQ(c.frees, 2);
    EXPECT_TRUE(c.live.empty());
}

}  // namespace
}  // namespace dnassm
