// Progress of long runs on stderr: a bar when stderr is a terminal, one JSON object per line with
// --progress json (for pipelines and the GUI), nothing with --progress none.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace dnassm {

enum class ProgressMode { kAuto, kNone, kBar, kJson };

/// "auto", "none", "bar", "json"; Error(kUsage) otherwise.
[[nodiscard]] ProgressMode parse_progress_mode(const std::string& s);

class Progress {
  public:
    Progress(ProgressMode mode, std::int64_t total_bases, std::string task);
    ~Progress();
    void advance(std::int64_t bases);
    void finish();
    /// Called on every advance with (bases done, total), on the advancing thread — for a GUI's
    /// progress bar; it may throw to cancel the run (the exception leaves through advance()).
    void set_observer(std::function<void(std::int64_t, std::int64_t)> observer) {
        observer_ = std::move(observer);
    }

  private:
    void report(bool final);

    ProgressMode mode_;
    std::int64_t total_, done_ = 0;
    std::string task_;
    std::chrono::steady_clock::time_point start_, last_;
    bool finished_ = false;
    std::function<void(std::int64_t, std::int64_t)> observer_;
};

}  // namespace dnassm
