#include "dnassm/io/call_finder.h"

#include <algorithm>
#include <cmath>

#include "dnassm/error.h"

namespace dnassm {

CallFinder::CallFinder(const CallOptions& options, std::function<void(const Call&)> emit)
    : options_(options), emit_(std::move(emit)) {
    DNASSM_CHECK(options_.merge_gap >= 0, ErrorKind::kUsage, "--merge-gap must be >= 0");
    DNASSM_CHECK(options_.min_length >= 1, ErrorKind::kUsage, "--min-length must be >= 1");
    DNASSM_CHECK(std::isfinite(options_.threshold), ErrorKind::kUsage,
                 "--threshold must be a finite number");
}

void CallFinder::add_spans(const std::string& contig,
                           std::int64_t start,
                           std::int64_t span,
                           const float* values,
                           std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = values[i];
        const bool pass = options_.below ? v <= options_.threshold : v >= options_.threshold;
        if (!pass) continue;  // NaN fails both comparisons
        const std::int64_t pos = start + i * span;
        if (!open_ || open_->contig != contig || pos - open_->end > options_.merge_gap) {
            finish();
            open_ = Open{contig, pos, pos, 0, 0.0};
        }
        open_->end = pos + span;
        open_->sum += static_cast<double>(v) * static_cast<double>(span);  // a mean over bases
        open_->passed += span;
    }
}

void CallFinder::finish() {
    if (!open_) return;
    const Open call = *open_;
    open_.reset();
    if (call.end - call.beg < options_.min_length) return;
    long score = 0;
    if (options_.probability)
        score = std::clamp(std::lround(1000.0 * call.sum / static_cast<double>(call.passed)), 0L,
                           1000L);
    emit_(Call{call.contig, call.beg, call.end, score});
}

}  // namespace dnassm
