#include "dnassm/progress.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include "dnassm/error.h"
#include "dnassm/messages.h"

namespace dnassm {

ProgressMode parse_progress_mode(const std::string& s) {
    if (s == "auto") return ProgressMode::kAuto;
    if (s == "none") return ProgressMode::kNone;
    if (s == "bar") return ProgressMode::kBar;
    if (s == "json") return ProgressMode::kJson;
    throw Error(ErrorKind::kUsage, "--progress: '" + s + "' is not one of auto, none, bar, json");
}

Progress::Progress(ProgressMode mode, std::int64_t total, std::string task, ProgressUnit unit)
    : mode_(mode), unit_(unit), total_(total), task_(std::move(task)) {
    if (mode_ == ProgressMode::kAuto)
        mode_ = isatty(STDERR_FILENO) && !quiet() ? ProgressMode::kBar : ProgressMode::kNone;
    start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
    if (mode_ == ProgressMode::kBar && !finished_ && done_ > 0) std::fputc('\n', stderr);
}

void Progress::advance(std::int64_t bases) {
    done_ += bases;
    if (observer_) observer_(done_, total_);
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (since >= (mode_ == ProgressMode::kJson ? 1.0 : 0.2)) {
        last_ = now;
        report(false);
    }
}

void Progress::finish() {
    if (finished_) return;
    report(true);
    finished_ = true;
}

void Progress::report(bool final) {
    if (mode_ == ProgressMode::kNone) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done_) / secs : 0.0;
    const double eta =
        rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0.0;
    const bool bases = unit_ == ProgressUnit::kBases;
    const char* unit = bases ? "bp" : "records";
    if (mode_ == ProgressMode::kJson) {
        const char* key = bases ? "bases" : "records";
        std::fprintf(stderr,
                     "{\"event\":\"%s\",\"task\":\"%s\",\"%s_done\":%lld,\"%s_total\":%lld,"
                     "\"%s_per_s\":%.1f,\"elapsed_s\":%.3f,\"eta_s\":%.1f}\n",
                     final ? "done" : "progress", task_.c_str(), key, static_cast<long long>(done_),
                     key, static_cast<long long>(total_), key, rate, secs, eta);
    } else if (total_ <= 0) {
        std::fprintf(stderr, "\r%s %lld %s %.0f %s/s%s", task_.c_str(),
                     static_cast<long long>(done_), unit, rate, unit, final ? "\n" : "");
    } else {
        const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
        const int width = 30, filled = static_cast<int>(frac * width);
        std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %lld/%lld %s %.0f %s/s ETA %.0fs%s",
                     task_.c_str(), filled, "##############################", width - filled, "",
                     100.0 * frac, static_cast<long long>(done_), static_cast<long long>(total_),
                     unit, rate, unit, eta, final ? "\n" : "");
    }
    std::fflush(stderr);
}

}  // namespace dnassm
