// Thresholded calls from a per-base track, as BED6: maximal runs of bases whose value passes the
// threshold, joined across gaps of at most merge_gap bases (bedtools merge -d), and kept when at
// least min_length bases long. Bases without a value (NaN) never pass.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "dnassm/io/atomic_file.h"
#include "dnassm/io/writers.h"

namespace dnassm {

struct CallOptions {
    float threshold = 0.5f;
    bool below = false;           // call value <= threshold instead of value >= threshold
    std::int64_t merge_gap = 0;   // join calls whose gap is at most this many bases
    std::int64_t min_length = 1;  // drop calls shorter than this (after joining)
    std::string name;             // BED name column: the track's name
    bool probability = false;     // score = round(1000 × mean called value); otherwise 0
};

/// Writes one line per call: chrom, start, end (0-based half-open), name, score, strand "." (BGZF
/// when the name ends in ".gz"), after the "# key: value" lines of describe().
/// Runs must come in the contig order of the track and increasing position; an empty result is an
/// empty file.
class CallWriter final : public TrackWriter {
  public:
    CallWriter(const std::string& path, CallOptions options);
    void add_spans(const std::string& contig,
                   std::int64_t start,
                   std::int64_t span,
                   const float* values,
                   std::int64_t n) override;
    void commit() override;
    [[nodiscard]] bool empty() const override { return !any_; }
    void describe(const FileAttributes& attributes) override;
    [[nodiscard]] bool keeps_description() const override { return true; }

    /// Calls written and bases they cover (final after commit()).
    [[nodiscard]] std::int64_t calls() const { return calls_; }
    [[nodiscard]] std::int64_t called_bases() const { return called_bases_; }

  private:
    struct Open {
        std::string contig;
        std::int64_t beg = 0, end = 0, passed = 0;
        double sum = 0;
    };
    void flush();

    CallOptions options_;
    AtomicFile file_;
    std::ostream& out_;
    std::optional<Open> open_;
    std::int64_t calls_ = 0, called_bases_ = 0;
    bool any_ = false;  // a value was added
};

}  // namespace dnassm
