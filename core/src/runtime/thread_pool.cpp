// A small persistent pool: workers and the caller pull fixed-size chunks from an atomic counter.
// A parallel_for issued from inside a worker runs inline (no nested parallelism, no deadlock).
#include "dnassm/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "dnassm/error.h"

namespace dnassm {

namespace {

thread_local bool in_parallel_region = false;

class Pool {
  public:
    ~Pool() { stop(); }

    void resize(int n) {
        stop();
        n_threads_ = std::max(1, n);
        quit_ = false;
        // A new worker has seen every job so far: starting from 0 instead, a pool resized after
        // some jobs ran could take the latest job twice, leaving the caller waiting forever.
        const std::uint64_t seen = generation_;
        for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, seen] { work(seen); });
    }
    int size() const { return n_threads_; }

    void run(std::int64_t n_chunks, const std::function<void(std::int64_t)>& chunk) {
        if (n_threads_ == 1 || n_chunks == 1 || in_parallel_region) {
            for (std::int64_t c = 0; c < n_chunks; ++c) chunk(c);
            return;
        }
        std::unique_lock<std::mutex> lock(run_mutex_);  // one parallel region at a time
        {
            std::lock_guard<std::mutex> g(mutex_);
            job_ = &chunk;
            n_chunks_ = n_chunks;
            next_.store(0);
            pending_ = n_threads_ - 1;
            error_ = nullptr;
            ++generation_;
        }
        cv_.notify_all();
        drain();
        std::unique_lock<std::mutex> g(mutex_);
        done_cv_.wait(g, [this] { return pending_ == 0; });
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

  private:
    void drain() {
        in_parallel_region = true;
        for (;;) {
            const std::int64_t c = next_.fetch_add(1);
            if (c >= n_chunks_) break;
            try {
                (*job_)(c);
            } catch (...) {
                std::lock_guard<std::mutex> g(mutex_);
                if (!error_) error_ = std::current_exception();
                next_.store(n_chunks_);
            }
        }
        in_parallel_region = false;
    }
    void work(std::uint64_t seen) {
        for (;;) {
            {
                std::unique_lock<std::mutex> g(mutex_);
                cv_.wait(g, [&] { return quit_ || generation_ != seen; });
                if (quit_) return;
                seen = generation_;
            }
            drain();
            std::lock_guard<std::mutex> g(mutex_);
            if (--pending_ == 0) done_cv_.notify_one();
        }
    }
    void stop() {
        {
            std::lock_guard<std::mutex> g(mutex_);
            quit_ = true;
        }
        cv_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    int n_threads_ = 1;
    std::vector<std::thread> workers_;
    std::mutex run_mutex_, mutex_;
    std::condition_variable cv_, done_cv_;
    const std::function<void(std::int64_t)>* job_ = nullptr;
    std::int64_t n_chunks_ = 0;
    std::atomic<std::int64_t> next_{0};
    int pending_ = 0;
    std::uint64_t generation_ = 0;
    bool quit_ = false;
    std::exception_ptr error_;
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

void set_num_threads(int n) {
    DNASSM_CHECK(n >= 1, ErrorKind::kUsage, "-@/--threads must be >= 1");
    if (n != pool().size()) pool().resize(n);
}

int num_threads() { return pool().size(); }

void parallel_for(std::int64_t n,
                  std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<std::int64_t>(1, grain);
    const std::int64_t n_chunks = (n + grain - 1) / grain;
    pool().run(n_chunks, [&](std::int64_t c) { fn(c * grain, std::min(n, (c + 1) * grain)); });
}

}  // namespace dnassm
