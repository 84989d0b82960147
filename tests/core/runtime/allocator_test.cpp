#include "dnassm/allocator.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

// AddressSanitizer replaces glibc's malloc, and its mallopt tunes nothing: configure_allocator
// rightly says it did not tune.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerMalloc = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizerMalloc = true;
#else
constexpr bool kSanitizerMalloc = false;
#endif
#else
constexpr bool kSanitizerMalloc = false;
#endif

TEST(Allocator, TunesGlibcUnlessTheEnvironmentAlreadyDoes) {
    if (kSanitizerMalloc) {
        EXPECT_FALSE(configure_allocator());
        return;
    }
#ifdef __GLIBC__
    unsetenv("MALLOC_MMAP_THRESHOLD_");
    unsetenv("MALLOC_TRIM_THRESHOLD_");
    EXPECT_TRUE(configure_allocator());
    setenv("MALLOC_TRIM_THRESHOLD_", "131072", 1);
    EXPECT_FALSE(configure_allocator());
    unsetenv("MALLOC_TRIM_THRESHOLD_");
#else
    EXPECT_FALSE(configure_allocator());
#endif
}

}  // namespace
}  // namespace dnassm
