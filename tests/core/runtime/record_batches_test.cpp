#include "dnassm/record_batches.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/thread_pool.h"

#include "test_util.h"

namespace dnassm {
namespace {

struct Item {
    int index = 0;
    std::int64_t length = 0;
    bool computed = false;
    std::thread::id thread;
};

// Runs `lengths` through RecordBatches with `threads` workers; returns the emitted items.
std::vector<Item> run(const std::vector<std::int64_t>& lengths,
                      int threads,
                      std::int64_t* progress_done = nullptr,
                      bool rendezvous = false) {
    set_num_threads(threads);
    Progress progress(ProgressMode::kNone, 1 << 30, "test");
    std::int64_t done = 0;
    progress.set_observer([&](std::int64_t d, std::int64_t) { done = d; });
    std::vector<Item> emitted;
    std::atomic<int> started{0};
    RecordBatches<Item> batches(
        test::backend("cpu"), &progress,
        [&](Item& it, Progress* p) {
            ++started;
            // The first record waits (up to 10 s) for another to start on another thread: the
            // pool's caller would otherwise finish a batch this small alone.
            if (rendezvous && it.index == 0) {
                const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                while (started < 2 && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
            it.computed = true;
            it.thread = std::this_thread::get_id();
            if (p) p->advance(it.length);
        },
        [&](Item& it) {
            EXPECT_TRUE(it.computed) << it.index;  // emitted only after its work
            emitted.push_back(it);
        });
    for (size_t i = 0; i < lengths.size(); ++i)
        batches.add({static_cast<int>(i), lengths[i], false, {}}, lengths[i], lengths[i]);
    batches.finish();
    if (progress_done) *progress_done = done;
    set_num_threads(1);
    return emitted;
}

TEST(RecordBatches, EmitsInInputOrderAndReportsAllWork) {
    const std::int64_t long_one = RecordBatches<Item>::kShortRecord + 1;
    std::vector<std::int64_t> lengths(200, 70);
    lengths[50] = long_one;  // runs alone, after the records queued before it
    std::int64_t total = 0;
    for (auto l : lengths) total += l;
    for (int threads : {1, 2, 4}) {
        std::int64_t done = 0;
        const auto items = run(lengths, threads, &done);
        ASSERT_EQ(items.size(), lengths.size());
        for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i].index, static_cast<int>(i));
        EXPECT_EQ(done, total) << threads << " threads";
    }
}

TEST(RecordBatches, ShortRecordsRunSideBySideOnlyWithSeveralThreadsOnTheCpu) {
    auto threads_used = [](const std::vector<Item>& items) {
        std::vector<std::thread::id> seen;
        for (const auto& it : items)
            if (std::find(seen.begin(), seen.end(), it.thread) == seen.end())
                seen.push_back(it.thread);
        return seen.size();
    };
    const std::vector<std::int64_t> many_short(64, 100);
    EXPECT_EQ(threads_used(run(many_short, 1)), 1u);
    EXPECT_GE(threads_used(run(many_short, 4, nullptr, true)), 2u);
    // A record too long to share a thread runs by itself, its ops spread over all threads.
    const auto alone = run({RecordBatches<Item>::kShortRecord + 1, 100}, 4);
    EXPECT_EQ(alone[0].thread, std::this_thread::get_id());
}

}  // namespace
}  // namespace dnassm
