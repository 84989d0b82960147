// predict/embed --state-in / --state-out: one chunk of a contig continues from the stream state
// that the contig's previous chunk saved, and saves its own for the next (dnassm/stream_state.h),
// so chunks run one after another give the one-pass track.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dnassm/io/atomic_file.h"
#include "dnassm/io/region.h"
#include "dnassm/stream_state.h"

#include "common.h"

namespace dnassm::app {

class ChunkChain {
  public:
    ChunkChain(std::string state_in, std::string state_out)
        : in_(std::move(state_in)), out_(std::move(state_out)) {}

    [[nodiscard]] bool active() const { return !in_.empty() || !out_.empty(); }

    /// Error(kUsage) unless the model streams, the input is a FASTA file and the run can be
    /// chained: no --rc, no --window,
    /// no --context with --state-in, no --shard, one region. Opens the --state-out target, so a
    /// run that cannot write it fails before it starts.
    void check(const Session& s, const CommonOptions& o, bool context_given, std::size_t regions);

    /// --state-in: loads the state, checks it against the region `core` (same contig, at or
    /// before its start), moves span.beg back to where the state stopped and resumes run from it.
    void resume(const Model& model, const Region& core, Region& span, RunOptions& run);

    /// --state-out: the run over `span` hands over its state one base before core.end, so the
    /// next chunk's first base has the logits of the base before it.
    void save_at_end(const Region& core, const Region& span, RunOptions& run);

    /// After the run: writes the saved state to its temp file, commits the output, then the state.
    void commit_with(const Model& model,
                     const Region& core,
                     const std::function<void()>& commit_output);

  private:
    std::string in_, out_;
    SavedStreamState resumed_;
    std::unique_ptr<ModelState> saved_;
    std::optional<AtomicFile> out_file_;
};

/// --state-in and --state-out (predict, embed).
void add_state_options(po::options_description& desc, std::string& in, std::string& out);

}  // namespace dnassm::app
