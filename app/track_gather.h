// Per-chunk tracks (bigWig/bedGraph from `predict -r CHUNK --context N`) gathered into one, for
// `dnassm merge` and `dnassm call`: the union of the inputs' contigs and their values in contig
// order.
#pragma once

#include <string>
#include <vector>

#include "dnassm/io/writers.h"

namespace dnassm::app {

class GatheredTrack {
  public:
    /// Reads every input; chunks that cover one base twice are Error(kInput) naming both files,
    /// inputs without any value Error(kInput). Contig lengths are the largest any header gives.
    explicit GatheredTrack(const std::vector<std::string>& inputs);

    [[nodiscard]] const std::vector<Contig>& contigs() const { return contigs_; }
    /// Hands the values to `writer` as runs of consecutive bases (a gap starts a new run).
    void write_to(TrackWriter& writer) const;

  private:
    struct Piece {
        size_t contig;
        std::int64_t beg, end;
        float value;
        size_t file;
    };
    std::vector<Contig> contigs_;
    std::vector<Piece> pieces_;  // sorted by contig, then start
};

}  // namespace dnassm::app
