// Thresholded calls from a per-base track: maximal runs of bases whose value passes the
// threshold, joined across gaps of at most merge_gap bases (bedtools merge -d), and kept when at
// least min_length bases long. Bases without a value (NaN) never pass. CallWriter writes them as
// BED; the explorer draws them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace dnassm {

struct CallOptions {
    float threshold = 0.5f;
    bool below = false;           // call value <= threshold instead of value >= threshold
    std::int64_t merge_gap = 0;   // join calls whose gap is at most this many bases
    std::int64_t min_length = 1;  // drop calls shorter than this (after joining)
    std::string name;             // BED name column: the track's name
    bool probability = false;     // score = round(1000 × mean called value); otherwise 0
};

/// A call: 0-based half-open, with its BED score.
struct Call {
    std::string contig;
    std::int64_t beg = 0, end = 0;
    long score = 0;
};

class CallFinder {
  public:
    /// Error(kUsage) for a negative merge_gap, a min_length below 1 or a threshold that is not a
    /// finite number. Each call goes to `emit` once it can grow no more.
    CallFinder(const CallOptions& options, std::function<void(const Call&)> emit);
    /// Values of `n` consecutive spans of `span` bases from `start`; runs come in contig order
    /// and increasing position.
    void add_spans(const std::string& contig,
                   std::int64_t start,
                   std::int64_t span,
                   const float* values,
                   std::int64_t n);
    /// Emits the last call, if one is open.
    void finish();

  private:
    struct Open {
        std::string contig;
        std::int64_t beg = 0, end = 0, passed = 0;
        double sum = 0;
    };

    CallOptions options_;
    std::function<void(const Call&)> emit_;
    std::optional<Open> open_;
};

}  // namespace dnassm
