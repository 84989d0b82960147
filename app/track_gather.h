// Per-chunk tracks (bigWig/bedGraph from `predict -r CHUNK --context N`) gathered into one, for
// `dnassm merge` and `dnassm call`: the union of the inputs' contigs and their values in contig
// order. The inputs are streamed: a bigWig is opened when its first value is reached and closed
// after its last on a contig, so a genome's chunks gather in the memory of a few blocks (a
// bedGraph is held in memory, as it is read whole).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dnassm/io/writers.h"

namespace dnassm::app {

class GatheredTrack {
  public:
    /// Opens every input to find where its values start on each contig. Inputs may hold no value
    /// (a chunk of N bases). Contig lengths are the largest any input gives.
    explicit GatheredTrack(const std::vector<std::string>& inputs);
    ~GatheredTrack();

    /// Every contig an input names (a bigWig's header; a bedGraph's contigs with values), in the
    /// order the inputs list them: the merged track's header, as predict's lists them all.
    [[nodiscard]] const std::vector<Contig>& contigs() const { return header_; }
    /// Whether no input holds any value.
    [[nodiscard]] bool empty() const;
    /// What every input says produced it, in the first input's order: the `# key: value` lines
    /// (TrackFile::description) all inputs give with one value, less their dnassm_version and
    /// command (the gathering command's own replace them). Empty when any input says nothing
    /// (a bigWig has no place to), as then none can be vouched for.
    [[nodiscard]] const FileAttributes& shared_description() const { return shared_; }
    /// Hands the values to `writer` as runs of equal spans (a gap starts a new run; a binned
    /// track stays binned: track_gather.cpp says how intervals become runs). Two
    /// inputs, or one input's own intervals, covering a base twice are Error(kInput) naming them.
    void write_to(TrackWriter& writer) const;

  private:
    void keep_shared(const FileAttributes& description, bool first);

    struct Start {  // where an input's values begin on a contig
        size_t file;
        std::int64_t beg;
    };
    std::vector<std::string> inputs_;
    std::vector<std::unique_ptr<TrackFile>> held_;  // bedGraph inputs (read once); null: a bigWig
    std::vector<Contig> header_;
    FileAttributes shared_;
    std::vector<std::vector<Start>>
        starts_;  // per contig of header_ (none: no values), by position
};

/// A gathered output's description: dnassm's version and this command line
/// (output_provenance), then what the inputs share (the model that made their values).
[[nodiscard]] FileAttributes provenance(int argc, char** argv, const GatheredTrack& track);

}  // namespace dnassm::app
