// The process-wide thread pool used by every kernel (-@/--threads).
//
// parallel_for splits [0, n) into contiguous ranges whose boundaries depend only on n and `grain`,
// never on the number of threads, so a kernel whose per-range work is deterministic gives
// bit-identical results for any thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace dnassm {

/// Sets the number of worker threads (>= 1). Call before running models; not thread-safe.
void set_num_threads(int n);
[[nodiscard]] int num_threads();

/// Calls fn(begin, end) for consecutive ranges covering [0, n), each of at most `grain` items,
/// on the pool; returns when all are done. Exceptions from fn are rethrown (the first one).
void parallel_for(std::int64_t n,
                  std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace dnassm
