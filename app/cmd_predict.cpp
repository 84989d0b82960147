// dnassm predict: per-base tracks (loglik, entropy, p_<class>; see dnassm/per_base_track.h) as
// bigWig/bedGraph or thresholded calls as BED; or a TSV with one row per input sequence
// (predict_rows.h): the tracks summed over it, or a fine-tuned classification head's outputs.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/call_writer.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"
#include "dnassm/per_base_track.h"
#include "dnassm/record_batches.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/task_head.h"
#include "dnassm/text.h"

#include "chunk_chain.h"
#include "commands.h"
#include "common.h"
#include "predict_rows.h"

namespace dnassm::app {

namespace {

// The regions a track covers: -r/-R (or whole contigs) in contig order without overlaps.
std::vector<Region> track_regions(const Session& s) {
    std::vector<Region> regions = sort_and_merge(asked_regions(s));
    for (auto& r : regions) r.name.clear();
    return regions;
}

// --context: `bases` (-1: to the contig's ends) before each span, and after it when `both_sides`.
void add_context(std::vector<Region>& spans,
                 const Session& s,
                 bool both_sides,
                 std::int64_t bases) {
    for (auto& r : spans) {
        std::int64_t len = r.end;
        for (const auto& c : s.input->contigs())
            if (c.name == r.contig) len = c.length;
        r.beg = bases < 0 ? 0 : std::max<std::int64_t>(0, r.beg - bases);
        if (both_sides) r.end = bases < 0 ? len : std::min(len, r.end + bases);
    }
}

// Writes vals[p] for the bases p of [beg, end) (offsets into `vals`, whose first base is `origin`
// of `contig`): runs of defined values (NaN: none), or with bin > 1 the mean of each bin's defined
// values, bins aligned to multiples of `bin` on the contig and clipped to [beg, end) (a bin with
// no value is a gap).
void write_values(TrackWriter& writer,
                  const std::string& contig,
                  std::int64_t origin,
                  const std::vector<float>& vals,
                  std::int64_t beg,
                  std::int64_t end,
                  std::int64_t bin) {
    auto at = [&](std::int64_t p) { return vals[static_cast<size_t>(p)]; };
    if (bin == 1) {
        for (std::int64_t p = beg; p < end;) {
            if (std::isnan(at(p))) {
                ++p;
                continue;
            }
            std::int64_t q = p;
            while (q < end && !std::isnan(at(q))) ++q;
            writer.add_run(contig, origin + p, vals.data() + p, q - p);
            p = q;
        }
        return;
    }
    std::vector<float> means;  // whole bins in a row, from means_at
    std::int64_t means_at = 0;
    auto flush = [&] {
        if (!means.empty())
            writer.add_spans(contig, means_at, bin, means.data(),
                             static_cast<std::int64_t>(means.size()));
        means.clear();
    };
    for (std::int64_t lo = beg; lo < end;) {
        const std::int64_t g = origin + lo;  // the bin's first base on the contig
        const std::int64_t hi = std::min(end, lo + (g / bin + 1) * bin - g);
        double sum = 0;
        std::int64_t n = 0;
        for (std::int64_t p = lo; p < hi; ++p)
            if (!std::isnan(at(p))) {
                sum += at(p);
                ++n;
            }
        const float mean = n ? static_cast<float>(sum / static_cast<double>(n)) : NAN;
        if (hi - lo == bin && n > 0) {
            if (means.empty()) means_at = g;
            means.push_back(mean);
        } else {
            flush();
            if (n > 0) writer.add_spans(contig, g, hi - lo, &mean, 1);  // a clipped bin
        }
        lo = hi;
    }
    flush();
}

// libBigWig's writer holds each file's zoom levels until it closes (~2.7 bytes per base written)
// and then reads one contig back whole (~12 bytes per base), measured in bench/RESULTS.md ("E —
// merge and call stream their inputs"): a human genome's per-base bigWig needs ~12 GB. Runs that
// large are told so before they start, with the output that needs none.
void note_bigwig_memory(std::int64_t bigwigs,
                        std::int64_t bases,
                        const std::vector<Region>& regions) {
    std::map<std::string, std::int64_t> per_contig;
    std::int64_t largest = 0;
    for (const Region& r : regions) largest = std::max(largest, per_contig[r.contig] += r.length());
    const double bytes = 2.7 * static_cast<double>(bases) * static_cast<double>(bigwigs) +
                         12.0 * static_cast<double>(largest);
    if (bytes < 2e9) return;
    note(
        "dnassm predict: note: %s of %lld bases will need about %.0f GB of memory as %s "
        "written (libBigWig holds a bigWig's zoom levels until it closes); a bedGraph "
        "(-o OUT.bedgraph.gz) holds nothing back, and --bin-size needs less\n",
        bigwigs == 1 ? "a per-base bigWig" : "per-base bigWigs", static_cast<long long>(bases),
        bytes / 1e9, bigwigs == 1 ? "it is" : "they are");
}

// Runs the tracks over each span, in one pass per strand, and writes each track's values inside
// the matching core (write_values) to its writer. Short spans (e.g. promoters from a BED) run side
// by side (dnassm/record_batches.h).
void write_tracks(Session& s,
                  const CommonOptions& o,
                  const std::vector<TrackSpec>& specs,
                  const std::vector<Region>& spans,
                  const std::vector<Region>& cores,
                  const std::vector<TrackWriter*>& writers,
                  std::int64_t bin) {
    if (spans.empty()) return;  // (an empty list would read every contig)
    // Only the core of a span (the region, without its --context) is written; a masked LM runs
    // its passes for those bases alone.
    const std::vector<Contig>& contigs = s.input->contigs();
    auto wanted = [&](const Region& span, const Region& core) {
        const std::int64_t length =
            span.tid >= 0 ? contigs[static_cast<size_t>(span.tid)].length : span.end;
        return WantedBases{core.beg - span.beg, core.end - span.beg, span.beg, length - span.end};
    };
    std::int64_t work = 0;
    for (size_t k = 0; k < spans.size(); ++k)
        work +=
            per_base_work(*s.model, spans[k].length(), specs, false, wanted(spans[k], cores[k]));
    Progress progress(s.progress_mode, work, "predict");
    struct Span {
        Region region, core;
        std::vector<std::int32_t> ids;
        std::vector<std::vector<float>> vals;  // per track
    };
    RecordBatches<Span> batches(
        *s.backend, &progress,
        [&](Span& x, Progress* p) {
            x.vals = per_base_tracks(*s.model, *s.backend, x.ids, specs, p, {},
                                     wanted(x.region, x.core));
        },
        [&](Span& x) {
            for (size_t k = 0; k < writers.size(); ++k)
                write_values(*writers[k], x.region.contig, x.region.beg, x.vals[k],
                             x.core.beg - x.region.beg, x.core.end - x.region.beg, bin);
        });
    std::vector<std::int32_t> ids;
    size_t index = 0;
    s.input->for_each(spans, [&](SequenceRecord& rec) {
        const Region& core = cores[index++];
        tokenize(s, o, rec, ids);
        const auto L = static_cast<std::int64_t>(ids.size());
        note_plan(s, o, L);
        batches.add({rec.region, core, ids, {}}, L,
                    per_base_work(*s.model, L, specs, false, wanted(rec.region, core)));
    });
    batches.finish();
    progress.finish();
}

// --track: one name, a comma-separated list, or "all" (every track the model offers).
std::vector<std::string> track_list(const Model& model, const std::string& arg) {
    if (arg == "all") return track_names(model);
    std::vector<std::string> names;
    // An empty --track is one empty name, refused below like an empty list entry.
    for (const std::string& name : arg.empty() ? std::vector<std::string>{""} : split(arg, ',')) {
        DNASSM_CHECK(!name.empty(), ErrorKind::kUsage,
                     "--track '" + arg + "': an empty track name");
        DNASSM_CHECK(std::find(names.begin(), names.end(), name) == names.end(), ErrorKind::kUsage,
                     "--track '" + arg + "': " + name + " is named twice");
        names.push_back(name);
    }
    return names;
}

// -o with "{track}" replaced by the track's name.
std::string track_output(const std::string& pattern, const std::string& track) {
    std::string out = pattern;
    for (size_t at; (at = out.find("{track}")) != std::string::npos;) out.replace(at, 7, track);
    return out;
}

}  // namespace

int cmd_predict(int argc, char** argv) {
    CommonOptions o;
    std::string track_name = "loglik";
    std::int64_t mlm_context = 512, mlm_spacing = 0, context = 0, bin = 1;
    CallOptions calls;
    bool write_index = false, no_provenance = false;
    po::options_description desc("dnassm predict options");
    add_common_options(desc, o);
    add_write_index_option(desc, write_index);
    add_provenance_option(desc, no_provenance);
    desc.add_options()("context", po::value(&context)->default_value(0),
                       "run each region with N extra bases of context before it (and after it for "
                       "--rc or bidirectional models) and write only the region, so chunks of a "
                       "genome reproduce a whole-genome run (pipelines' scatter/gather); -1 = from "
                       "the contig start (exact for models with unbounded memory)");
    std::string state_in, state_out;
    Metrics metrics;
    add_state_options(desc, state_in, state_out);
    desc.add_options()("metrics", po::value(&metrics.path),
                       "with a fine-tuned per-sequence model and labeled input (a CSV's label "
                       "column, a GenomicBenchmarks folder's classes, or -R BED's "
                       "--label-column): also write the outputs' metrics against the labels to "
                       "this JSON file (as finetune reports them)");
    desc.add_options()("label-column", po::value(&metrics.label_column),
                       "--metrics with -R BED: the column holding the labels (default 4, the "
                       "name, for a classifier; 5, the score, for a regression), as finetune's");
    desc.add_options()("bin-size", po::value(&bin)->default_value(1),
                       "write each track's mean over N-base bins (as deepTools' --binSize): bins "
                       "at multiples of N on the contig, clipped to the regions; bases without a "
                       "value are left out of a bin's mean, and a bin with none is a gap. Calls "
                       "(-o OUT.bed) are made on the bins. Chunks that start and end at multiples "
                       "of N (--shard aligns its own) gather to the one-pass track");
    desc.add_options()("mlm-context", po::value(&mlm_context)->default_value(512),
                       "masked LMs (Caduceus): bases of context on each side of the masked base");
    desc.add_options()("mlm-spacing", po::value(&mlm_spacing)->default_value(0),
                       "masked LMs: 0 runs a pass per base (exact masked marginals); K >= 2 masks "
                       "bases K apart together, K passes per 8 x --mlm-context bases (a pass per "
                       "base costs 2 x --mlm-context + 1 bases of compute; 16 is ~50x less), each "
                       "base then predicted with the bases K, 2K, ... away masked too");
    desc.add_options()("track", po::value(&track_name)->default_value("loglik"),
                       "loglik (ln p of the observed base given its left context; masked LMs: "
                       "with it masked), prob (that p itself), entropy (of the base's "
                       "distribution), or p_<class> for a model fine-tuned with a segmentation "
                       "head (default then: its last class); several, comma-separated, or all, "
                       "are computed in one pass and written to the files -o names with {track} "
                       "replaced");
    po::options_description call_desc("thresholded calls (-o OUT.bed)");
    add_call_options(call_desc, calls,
                     "(default 0.5 for p_<class> tracks; required for the others)");
    desc.add(call_desc);
    po::variables_map given;
    if (!parse_command_line(
            argc, argv,
            "dnassm predict -m MODEL_DIR [-r REGION]... [-R BED] --track loglik|entropy|p_CLASS "
            "[--bin-size N] -o OUT.{bw,bedgraph,bed} IN.fa [REGION]...\n"
            "   or: dnassm predict -m MODEL_DIR [--track T,...] -o OUT.tsv "
            "IN.{fa,fq,bam,csv,GB_FOLDER} "
            "[REGION]...   (a row per sequence)\n"
            "   or: dnassm predict -m CLASSIFIER_DIR -o OUT.tsv IN.{csv,fa,GB_FOLDER} [-R BED] "
            "[--metrics M.json]",
            desc, o, &given))
        return 0;
    const auto on_command_line = [&](const char* name) {
        return given.count(name) > 0 && !given[name].defaulted();
    };
    DNASSM_CHECK(metrics.label_column < 0 || !metrics.path.empty(), ErrorKind::kUsage,
                 "--label-column names the labels --metrics scores against; give --metrics too");
    // Written after the table is committed, so it would replace it.
    DNASSM_CHECK(metrics.path.empty() || o.output == "-" ||
                     resolved_path(metrics.path) != resolved_path(o.output),
                 ErrorKind::kUsage,
                 "--metrics " + metrics.path + ": names the -o output too; give each its own file");
    const std::string type = output_type(o, ".bedgraph");  // a classifier's TSV when -o -
    const bool bed = type == ".bed";
    for (const char* name : {"threshold", "below", "merge-gap", "min-length"})
        DNASSM_CHECK(bed || !on_command_line(name), ErrorKind::kUsage,
                     std::string("--") + name + " applies to thresholded calls (-o OUT.bed)");
    Session s = open_session(o);
    // A table (a sequence,label CSV or a GenomicBenchmarks folder) gives a row per sequence.
    const bool table = s.table();
    const TaskHead* head = s.model->task_head();
    ChunkChain chain(state_in, state_out);
    if (head && head->per_sequence()) {  // answers per sequence, not per base
        const std::string model =
            o.model_dir + (head->task == HeadTask::kRegress ? ": a regression model"
                                                            : ": a classification model");
        DNASSM_CHECK(track_name == "loglik" || track_name.rfind("p_", 0) == 0, ErrorKind::kUsage,
                     model + " writes its outputs per sequence (TSV); --track does not apply");
        DNASSM_CHECK(!bed, ErrorKind::kUsage, model + " writes a TSV (-o OUT.tsv), not BED calls");
        DNASSM_CHECK(!chain.active(), ErrorKind::kUsage,
                     model +
                         " answers per sequence; --state-in/--state-out carry a per-base "
                         "stream");
        for (const char* name : {"context", "bin-size"})
            DNASSM_CHECK(
                !on_command_line(name), ErrorKind::kUsage,
                model + " answers per sequence; --" + name + " applies to per-base tracks");
        shard_sequence_records(s, o);
        return predict_head_rows(s, o, metrics);
    }
    DNASSM_CHECK(metrics.path.empty(), ErrorKind::kUsage,
                 "--metrics scores a fine-tuned per-sequence model (classify, regress) on labeled "
                 "rows; " +
                     o.model_dir + " has no such head");
    if (head && !head->per_sequence() && !on_command_line("track"))
        track_name = head->output_names().back();  // the last class, or a track head's value
    check_masked_lm_settings(mlm_context, mlm_spacing, ErrorKind::kUsage, "", "--mlm-context",
                             "--mlm-spacing");
    if (s.model->causal() && (on_command_line("mlm-context") || on_command_line("mlm-spacing")))
        note(
            "dnassm predict: note: --mlm-context and --mlm-spacing apply to masked LMs; %s is a "
            "causal LM, which predicts each base from the bases before it\n",
            o.model_dir.c_str());
    DNASSM_CHECK(bin >= 1 && bin <= (std::int64_t{1} << 30), ErrorKind::kUsage,
                 "--bin-size must be 1 to 2^30 bases");
    DNASSM_CHECK(context >= -1, ErrorKind::kUsage, "--context must be >= 0, or -1 (whole contig)");
    const std::vector<std::string> track_names = track_list(*s.model, track_name);
    std::vector<TrackSpec> specs;
    for (const std::string& name : track_names) {
        specs.push_back(track_spec(*s.model, name));
        specs.back().rc = o.rc;
        specs.back().mlm_context = mlm_context;
        specs.back().mlm_spacing = mlm_spacing;
        specs.back().run = run_options(s, o);
    }
    if (type == ".tsv" || table) {  // a row per sequence: each track summed over it
        DNASSM_CHECK(!chain.active(), ErrorKind::kUsage,
                     "--state-in/--state-out carry a per-base stream; a per-sequence table "
                     "(-o OUT.tsv) does not take them");
        DNASSM_CHECK(context == 0, ErrorKind::kUsage,
                     "--context applies to per-base tracks, not to a per-sequence table");
        DNASSM_CHECK(bin == 1, ErrorKind::kUsage,
                     "--bin-size applies to per-base tracks, not to a per-sequence table");
        shard_sequence_records(s, o);
        return predict_summaries(s, o, track_names, specs);
    }
    DNASSM_CHECK(!o.stranded, ErrorKind::kUsage,
                 "--stranded: per-base tracks and calls are in forward reference coordinates "
                 "(--rc averages the two strands); a table (-o OUT.tsv) takes --stranded");
    if (track_names.size() > 1) {
        DNASSM_CHECK(!bed, ErrorKind::kUsage,
                     "--track " + track_name +
                         ": BED calls take one track (write the tracks, then run dnassm call on "
                         "each)");
        DNASSM_CHECK(o.output != "-" && o.output.find("{track}") != std::string::npos,
                     ErrorKind::kUsage,
                     "--track " + track_name + ": " + std::to_string(track_names.size()) +
                         " tracks need a file each: put {track} in -o (e.g. -o out.{track}.bw)");
    }
    DNASSM_CHECK(s.input->format() == InputFormat::kFasta, ErrorKind::kUsage,
                 o.input +
                     ": per-base tracks are in reference coordinates and need a FASTA input (for "
                     "a row per read, write a table: -o OUT.tsv)");
    require_reference(*s.input,
                      "per-base tracks are in reference coordinates (for a row per read, write a "
                      "table: -o OUT.tsv)");
    std::vector<Region> regions = track_regions(s);
    chain.check(s, o, on_command_line("context"), regions.size());
    if (!s.shard.whole()) regions = shard_bases(regions, s.shard, bin);
    std::int64_t bases_written = 0;  // (the regions are merged: none counted twice)
    for (const Region& r : regions) bases_written += r.length();
    if (!s.shard.whole()) s.total_bases = bases_written;
    std::vector<std::string> outputs;
    for (const std::string& name : bed ? std::vector{track_name} : track_names)
        outputs.push_back(track_output(o.output, name));
    check_indexable(write_index, outputs);
    std::vector<std::unique_ptr<TrackWriter>> writers;
    CallWriter* call_writer = nullptr;
    if (bed) {
        const bool class_probability =
            specs.front().kind == TrackKind::kHeadClass && !head->predicts_values();
        calls.probability = class_probability || specs.front().kind == TrackKind::kProb;
        DNASSM_CHECK(class_probability || on_command_line("threshold"), ErrorKind::kUsage,
                     "--threshold: calls on the " + track_name +
                         " track need a threshold (p_<class> tracks default to 0.5)");
        calls.name = track_name;
        auto w = std::make_unique<CallWriter>(outputs.front(), calls);
        call_writer = w.get();
        writers.push_back(std::move(w));
    } else {
        if (bin == 1 && is_bigwig_extension(type))  // every output is of `type`
            note_bigwig_memory(static_cast<std::int64_t>(outputs.size()), bases_written, regions);
        for (const std::string& out : outputs)
            writers.push_back(TrackWriter::create(out, s.input->contigs(), type));
    }
    // (A bigWig keeps none: the model's weights are not hashed for it.)
    if (!no_provenance && std::any_of(writers.begin(), writers.end(),
                                      [](const auto& w) { return w->keeps_description(); })) {
        const FileAttributes provenance = output_provenance(argc, argv, &s);
        for (size_t k = 0; k < writers.size(); ++k) {
            FileAttributes attributes = provenance;
            attributes.emplace_back("track", bed ? track_name : track_names[k]);
            writers[k]->describe(attributes);
        }
    }
    std::vector<TrackWriter*> writer_ptrs;
    for (const auto& w : writers) writer_ptrs.push_back(w.get());
    // Each region is computed over its span (with context, or from a saved state) and written
    // back clipped to itself.
    const std::vector<Region> cores = regions;
    std::vector<Region>& spans = regions;
    // The tracks share one pass, run with the first track's options (per_base_tracks).
    RunOptions& run = specs.front().run;
    if (chain.active()) chain.resume(*s.model, cores.front(), spans.front(), run);
    if (context != 0) add_context(spans, s, o.rc || !s.model->causal(), context);
    if (chain.active()) chain.save_at_end(cores.front(), spans.front(), run);
    // Exact masked marginals take a pass of 2 x --mlm-context + 1 bases per base written (~30x
    // the work of --mlm-spacing 16), so where the user did not choose them the note says so.
    const bool exact_masked = !s.model->causal() && mlm_spacing == 0 &&
                              std::any_of(specs.begin(), specs.end(), [](const TrackSpec& t) {
                                  return t.kind != TrackKind::kHeadClass;
                              });
    if (exact_masked && !on_command_line("mlm-spacing"))
        note(
            "dnassm predict: note: %s is a masked LM: each of the %lld bases written gets a pass "
            "of its own (exact masked marginals%s); --mlm-spacing 16 masks bases 16 apart "
            "together, about 30x faster (bench/RESULTS.md compares the two)\n",
            o.model_dir.c_str(), static_cast<long long>(bases_written), o.rc ? ", per strand" : "");
    write_tracks(s, o, specs, spans, cores, writer_ptrs, bin);
    const auto commit_outputs = [&] {
        for (const auto& w : writers) w->commit();
    };
    if (chain.active())  // (one region: ChunkChain::check)
        chain.commit_with(*s.model, cores.front(), commit_outputs);
    else
        commit_outputs();
    write_indexes(write_index, outputs);
    // A region of N bases (an assembly gap in a pipeline's chunk) has no values: its track is
    // written empty, and said so, rather than failing the chunk. So is a shard with no bases.
    bool any_empty = false;
    for (size_t k = 0; k < writers.size(); ++k) {
        if (!writers[k]->empty()) continue;
        any_empty = true;
        if (cores.empty())
            note(
                "dnassm predict: %s: --shard %s: its cuts, moved back to multiples of "
                "--bin-size %lld, leave it no bases; the output is empty\n",
                outputs[k].c_str(), s.shard.label().c_str(), static_cast<long long>(bin));
        else
            note(
                "dnassm predict: %s: no base of the regions has a value (N bases have none, nor "
                "a region's first base for a next-base track); the output is empty\n",
                outputs[k].c_str());
    }
    if (call_writer && !any_empty)
        note_if_no_calls("predict", o.output, *call_writer, calls, track_name);
    report_input_stats(s, o);
    return 0;
}

}  // namespace dnassm::app
