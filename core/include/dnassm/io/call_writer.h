// Thresholded calls from a per-base track (dnassm/io/call_finder.h), as BED6.
#pragma once

#include <cstdint>
#include <string>

#include "dnassm/io/atomic_file.h"
#include "dnassm/io/call_finder.h"
#include "dnassm/io/writers.h"

namespace dnassm {

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
    void write(const Call& call);

    AtomicFile file_;
    std::ostream& out_;
    std::string name_;  // the BED name column
    std::int64_t calls_ = 0, called_bases_ = 0;
    bool any_ = false;   // a value was added
    CallFinder finder_;  // last: its emit writes through the members above
};

}  // namespace dnassm
