#include "chunk_chain.h"

#include "dnassm/error.h"

namespace dnassm::app {

void ChunkChain::check(const Session& s,
                       const CommonOptions& o,
                       bool context_given,
                       std::size_t regions) {
    if (!active()) return;
    DNASSM_CHECK(s.model->streams(), ErrorKind::kUsage,
                 o.model_dir + ": --state-in/--state-out need a streaming model (Mamba), not a " +
                     s.model->info().family + " model");
    DNASSM_CHECK(s.input && s.input->format() == InputFormat::kFasta, ErrorKind::kUsage,
                 o.input + ": --state-in/--state-out continue a contig of a FASTA file");
    require_reference(*s.input, "--state-in/--state-out continue a contig of a reference");
    DNASSM_CHECK(!o.rc, ErrorKind::kUsage,
                 "--rc reads each base's right context, which a saved state does not hold");
    DNASSM_CHECK(o.run.window == 0, ErrorKind::kUsage,
                 "--window tiles the model; --state-in/--state-out need it run as one stream");
    DNASSM_CHECK(in_.empty() || !context_given, ErrorKind::kUsage,
                 "give --context or --state-in, not both");
    DNASSM_CHECK(s.shard.whole(), ErrorKind::kUsage,
                 "--shard cuts the regions itself; --state-in/--state-out chain chunks given one "
                 "at a time (-r)");
    DNASSM_CHECK(regions == 1, ErrorKind::kUsage,
                 "--state-in/--state-out: give one region (-r), one chunk of a contig");
    if (!out_.empty()) out_file_.emplace(out_);
}

void ChunkChain::resume(const Model& model, const Region& core, Region& span, RunOptions& run) {
    if (in_.empty()) return;
    resumed_ = load_stream_state(in_, model);
    const StreamPosition& at = resumed_.where;
    DNASSM_CHECK(at.contig == core.contig, ErrorKind::kInput,
                 in_ + ": a state of " + at.contig + ", not of " + core.contig);
    DNASSM_CHECK(at.position <= core.beg, ErrorKind::kInput,
                 in_ + ": continues " + core.contig + " at base " +
                     std::to_string(at.position + 1) + ", after this region's start (" +
                     std::to_string(core.beg + 1) + "); run the chunks in order");
    span.beg = at.position;
    run.resume = resumed_.state.get();
}

void ChunkChain::save_at_end(const Region& core, const Region& span, RunOptions& run) {
    if (out_.empty()) return;
    run.save_at = (core.end - 1) - span.beg;
    run.on_saved = [this](std::unique_ptr<ModelState> st) { saved_ = std::move(st); };
}

void ChunkChain::commit_with(const Model& model,
                             const Region& core,
                             const std::function<void()>& commit_output) {
    if (out_file_) {
        DNASSM_CHECK(saved_ != nullptr, ErrorKind::kInternal, "the run saved no stream state");
        save_stream_state(out_file_->temp_path(), model, *saved_, {core.contig, core.end - 1});
    }
    commit_output();
    if (out_file_) out_file_->commit();
}

void add_state_options(po::options_description& desc, std::string& in, std::string& out) {
    desc.add_options()("state-in", po::value(&in),
                       "streaming models (Mamba), one region: continue from the state a previous "
                       "chunk of the contig saved with --state-out (it must end at or before this "
                       "region), so chunks run one after another reproduce one pass exactly, "
                       "each at the cost of its own bases");
    desc.add_options()("state-out", po::value(&out),
                       "streaming models (Mamba), one region: save the stream state at the "
                       "region's end, for the next chunk's --state-in");
}

}  // namespace dnassm::app
