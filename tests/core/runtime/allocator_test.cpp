#include "dnassm/allocator.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

TEST(Allocator, TunesGlibcUnlessTheEnvironmentAlreadyDoes) {
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
