#include "dnassm/thread_pool.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {

TEST(ThreadPool, CoversRangeExactlyOnceForAnyThreadCount) {
    for (int threads : {1, 2, 4}) {
        set_num_threads(threads);
        std::vector<std::atomic<int>> hits(1001);
        parallel_for(1001, 7, [&](std::int64_t b, std::int64_t e) {
            EXPECT_LE(e - b, 7);
            for (auto i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
    set_num_threads(1);
}

TEST(ThreadPool, RethrowsWorkerExceptionsAndStaysUsable) {
    set_num_threads(2);
    EXPECT_THROW(parallel_for(100, 1,
                              [](std::int64_t b, std::int64_t) {
                                  if (b == 57) throw Error(ErrorKind::kInput, "boom");
                              }),
                 Error);
    std::atomic<int> n{0};
    parallel_for(10, 1, [&](std::int64_t, std::int64_t) { ++n; });
    EXPECT_EQ(n.load(), 10);
    set_num_threads(1);
}

TEST(ThreadPool, ResizedAfterJobsRanEachWorkerTakesEachJobOnce) {
    // New workers once started from job 0 and could take the latest job twice, leaving its
    // caller waiting forever (CI hung in
    // Grad.FastHyenaConvBackwardMatchesReferenceForAnyThreadCount). Each round resizes the pool
    // after jobs ran and runs a job at once: thousands of chances for a new worker to start while
    // the job is being handed out.
    for (int round = 0; round < 3000; ++round) {
        set_num_threads(round % 2 ? 2 : 3);
        std::atomic<int> sum{0};
        parallel_for(64, 1,
                     [&](std::int64_t b, std::int64_t e) { sum += static_cast<int>(e - b); });
        ASSERT_EQ(sum.load(), 64) << "round " << round;
    }
    set_num_threads(1);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(set_num_threads(0), Error); }

}  // namespace dnassm
