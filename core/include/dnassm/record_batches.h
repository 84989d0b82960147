// Many short records (reads, a table of short sequences, small regions) run side by side on the
// CPU, a record per thread. A parallel_for issued inside a worker runs inline, so each record's
// ops then run on its one thread, over the same ranges as when all threads share them: every
// record's numbers are exactly those of a run by itself, for any -@. Longer records, and every
// record on a backend that takes one op at a time (a GPU), run one after another with all threads
// on each op. Results are handed on in input order.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/progress.h"
#include "dnassm/thread_pool.h"

namespace dnassm {

template <typename Item>
class RecordBatches {
  public:
    /// compute(item, progress) does a record's work, reporting to `progress` when it is not
    /// null; emit(item) then hands its result on, in input order. A batch runs once it holds
    /// `batch_bases` bases (less for results that are large per base).
    RecordBatches(const Backend& backend,
                  Progress* progress,
                  std::function<void(Item&, Progress*)> compute,
                  std::function<void(Item&)> emit,
                  std::int64_t batch_bases = kBatchBases)
        : side_by_side_(backend.concurrent_calls() && num_threads() > 1),
          batch_bases_(batch_bases),
          progress_(progress),
          compute_(std::move(compute)),
          emit_(std::move(emit)) {}

    /// A record of `length` bases; `work` is what compute() reports to its progress for it.
    void add(Item item, std::int64_t length, std::int64_t work) {
        if (!side_by_side_ || length > kShortRecord) {
            flush();
            compute_(item, progress_);
            emit_(item);
            return;
        }
        queued_.push_back(std::move(item));
        queued_work_ += work;
        queued_bases_ += length;
        if (queued_bases_ >= batch_bases_) flush();
    }

    /// Runs and hands on what is queued.
    void finish() { flush(); }

    static constexpr std::int64_t kShortRecord = 16384, kBatchBases = 1 << 20;

  private:
    void flush() {
        if (queued_.empty()) return;
        parallel_for(static_cast<std::int64_t>(queued_.size()), 1,
                     [&](std::int64_t b, std::int64_t e) {
                         for (std::int64_t i = b; i < e; ++i)
                             compute_(queued_[static_cast<size_t>(i)], nullptr);
                     });
        for (auto& item : queued_) emit_(item);
        if (progress_) progress_->advance(queued_work_);
        queued_.clear();
        queued_work_ = queued_bases_ = 0;
    }

    bool side_by_side_;
    std::int64_t batch_bases_;
    Progress* progress_;
    std::function<void(Item&, Progress*)> compute_;
    std::function<void(Item&)> emit_;
    std::vector<Item> queued_;
    std::int64_t queued_work_ = 0, queued_bases_ = 0;
};

}  // namespace dnassm
