// Progress of long runs on stderr: a bar when stderr is a terminal, one JSON object per line with
// --progress json (for pipelines and the GUI), nothing with --progress none.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace dnassm {

enum class ProgressMode { kAuto, kNone, kBar, kJson };
/// What a run counts: bases (bar "bp", JSON "bases_done"...) or records (score's VCF records:
/// "records", "records_done"...).
enum class ProgressUnit { kBases, kRecords };

/// "auto", "none", "bar", "json"; Error(kUsage) otherwise.
[[nodiscard]] ProgressMode parse_progress_mode(const std::string& s);

class Progress {
  public:
    /// `total` 0: not known (the bar then shows the count without a fraction or ETA).
    Progress(ProgressMode mode,
             std::int64_t total,
             std::string task,
             ProgressUnit unit = ProgressUnit::kBases);
    ~Progress();
    /// Whether anything is reported (false for none, and for auto without a terminal).
    [[nodiscard]] bool reporting() const { return mode_ != ProgressMode::kNone; }
    /// Sets the total once it is known (before the first advance).
    void set_total(std::int64_t total) { total_ = total; }
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
    ProgressUnit unit_;
    std::int64_t total_, done_ = 0;
    std::string task_;
    std::chrono::steady_clock::time_point start_, last_;
    bool finished_ = false;
    std::function<void(std::int64_t, std::int64_t)> observer_;
};

}  // namespace dnassm
