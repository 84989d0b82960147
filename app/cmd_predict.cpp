// dnassm predict: per-base tracks from the LM head, or the outputs of a fine-tuned task head.
//   loglik  = ln p(x_t | x_<t), the next-base distribution restricted to A/C/G/T and renormalised
//   entropy = entropy (nats) of that 4-way distribution
//   p_<class> (segmentation head) = probability of that class at each base
// For a masked (bidirectional) LM the same tracks are masked marginals: base t is replaced by
// [MASK] and predicted from --mlm-context bases on each side (one forward pass per base).
// A classification head writes a TSV instead: one row per input sequence (CSV row, FASTA record,
// -R region or read), columns id and p_<class> for every class.
// Position t is predicted from the hidden state at t-1, so the first base of each region has no
// value; loglik is also undefined where the observed base is not A/C/G/T (N): both are gaps.
// With --rc the reverse-complement strand gives a second value for each base, predicted from the
// bases to its right (the complement's probability on that strand); the track is the mean of
// the two where both exist (the first and last base of a region then have one value each).
#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/writers.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/task_head.h"

#include "commands.h"
#include "common.h"
#include "train/finetune.h"

namespace dnassm::app {

namespace {

enum class Track { kLoglik, kEntropy, kHeadClass };

// Fills value[i] for the base predicted by logits row i; returns false where undefined.
bool track_value(const float* logits_row, std::int32_t next_id, Track track, float& value) {
    if (track == Track::kLoglik) {
        if (next_id < token::kA || next_id > token::kT) return false;
        value = static_cast<float>(acgt_log_prob(logits_row, next_id));
        return true;
    }
    double m = -INFINITY;
    for (int k = 0; k < 4; ++k) m = std::max(m, static_cast<double>(logits_row[token::kA + k]));
    double z = 0, p[4];
    for (int k = 0; k < 4; ++k) z += (p[k] = std::exp(logits_row[token::kA + k] - m));
    double h = 0;
    for (int k = 0; k < 4; ++k) {
        const double q = p[k] / z;
        if (q > 0) h -= q * std::log(q);
    }
    value = static_cast<float>(h);
    return true;
}

// Class probabilities of one sequence: the head on the mean hidden state (averaged with the
// reverse complement's with --rc).
std::vector<float> classify_sequence(Session& s,
                                     const CommonOptions& o,
                                     const TaskHead& head,
                                     std::vector<std::int32_t> ids,
                                     Progress* progress) {
    const std::int64_t C = head.n_classes(), D = s.model->info().d_model;
    std::vector<float> out(static_cast<size_t>(C), 0.0f);
    const int strands = o.rc ? 2 : 1;
    for (int strand = 0; strand < strands; ++strand) {
        if (strand == 1) reverse_complement(ids);
        std::vector<double> sum(static_cast<size_t>(D), 0.0);
        run_sequence(*s.model, *s.backend, ids, run_options(s, o), progress,
                     [&](std::int64_t, const Tensor& h) {
                         for (std::int64_t t = 0; t < h.dim(0); ++t)
                             for (std::int64_t d = 0; d < D; ++d)
                                 sum[static_cast<size_t>(d)] += h.f32()[t * D + d];
                     });
        std::vector<float> pooled(static_cast<size_t>(D));
        for (std::int64_t d = 0; d < D; ++d)
            pooled[static_cast<size_t>(d)] =
                static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(ids.size()));
        Tensor p = head.logits(pooled.data(), 1);
        softmax_rows(p.f32(), 1, C);
        for (std::int64_t c = 0; c < C; ++c)
            out[static_cast<size_t>(c)] += p.f32()[c] / static_cast<float>(strands);
    }
    return out;
}

int predict_classes(Session& s, const CommonOptions& o) {
    const bool csv = !s.input;
    const TaskHead& head = *s.model->task_head();
    AtomicFile file(o.output);
    std::ofstream out(file.temp_path());
    out << "id";
    for (const auto& c : head.classes) out << "\tp_" << c;
    out << "\n";
    Progress progress(s.progress_mode, s.total_bases * (o.rc ? 2 : 1), "predict");
    std::vector<std::int32_t> ids;
    auto emit = [&](const std::string& id, const std::vector<float>& p) {
        out << id;
        for (float v : p) out << "\t" << v;
        out << "\n";
    };
    std::int64_t rows = 0;
    if (csv) {
        for (const auto& row : read_labeled_csv(o.input, false)) {
            SequenceRecord rec;
            rec.name = "row " + row.id;
            rec.seq = row.seq;
            tokenize(o, rec, ids, s.stats);
            emit(row.id, classify_sequence(s, o, head, ids, &progress));
            ++rows;
        }
    } else {
        s.input->for_each(s.regions, [&](SequenceRecord& rec) {
            tokenize(o, rec, ids, s.stats);
            emit(rec.region.name.empty() ? rec.name : rec.region.name,
                 classify_sequence(s, o, head, ids, &progress));
            ++rows;
        });
    }
    DNASSM_CHECK(rows > 0, ErrorKind::kInput, o.input + ": no sequences");
    out.close();
    DNASSM_CHECK(out.good(), ErrorKind::kResource, o.output + ": write failed");
    progress.finish();
    file.commit();
    report_base_stats(s.stats, o);
    return 0;
}

}  // namespace

static bool track_given_explicitly(int argc, char** argv) {
    for (int i = 0; i < argc; ++i)
        if (std::string(argv[i]).rfind("--track", 0) == 0) return true;
    return false;
}

int cmd_predict(int argc, char** argv) {
    CommonOptions o;
    std::string track_name = "loglik";
    std::int64_t mlm_context = 512, context = 0;
    po::options_description desc("dnassm predict options");
    add_common_options(desc, o);
    desc.add_options()("context", po::value(&context)->default_value(0),
                       "run each region with N extra bases of context before it (and after it for "
                       "--rc or bidirectional models) and write only the region, so chunks of a "
                       "genome reproduce a whole-genome run (pipelines' scatter/gather); -1 = from "
                       "the contig start (exact for models with unbounded memory)");
    desc.add_options()("mlm-context", po::value(&mlm_context)->default_value(512),
                       "masked LMs (Caduceus): bases of context on each side of the masked base");
    desc.add_options()("track", po::value(&track_name)->default_value("loglik"),
                       "loglik (ln p of the observed base given its left context), entropy, or "
                       "p_<class> for a model fine-tuned with a segmentation head (default then: "
                       "its last class)");
    if (!parse_command_line(
            argc, argv,
            "dnassm predict -m MODEL_DIR [-r REGION]... [-R BED] --track loglik|entropy|p_CLASS "
            "-o OUT.{bw,bedgraph} IN.fa\n"
            "       dnassm predict -m CLASSIFIER_DIR -o OUT.tsv IN.{csv,fa} [-R BED]",
            desc, o))
        return 0;
    // A CSV table is only an input for classifiers; everything else is a sequence file.
    Session s = open_session(o, !is_csv_path(o.input));
    const TaskHead* head = s.model->task_head();
    if (head && head->task == HeadTask::kClassify) {  // answers per sequence, not per base
        DNASSM_CHECK(track_name == "loglik" || track_name.rfind("p_", 0) == 0, ErrorKind::kUsage,
                     o.model_dir +
                         ": a classification model writes class probabilities per "
                         "sequence (TSV); --track does not apply");
        return predict_classes(s, o);
    }
    DNASSM_CHECK(s.input != nullptr, ErrorKind::kUsage,
                 o.input + ": a sequence,label table is an input for classification models only");
    std::int64_t head_class = -1;
    if (head && (track_name.rfind("p_", 0) == 0 || !track_given_explicitly(argc, argv))) {
        if (track_name.rfind("p_", 0) != 0) track_name = "p_" + head->classes.back();
        for (std::int64_t c = 0; c < head->n_classes(); ++c)
            if (track_name == "p_" + head->classes[static_cast<size_t>(c)]) head_class = c;
        std::string valid;
        for (const auto& c : head->classes) valid += (valid.empty() ? "p_" : ", p_") + c;
        DNASSM_CHECK(
            head_class >= 0, ErrorKind::kUsage,
            "--track: '" + track_name + "' is not a class of " + o.model_dir + " (" + valid + ")");
    }
    DNASSM_CHECK(mlm_context >= 1, ErrorKind::kUsage, "--mlm-context must be >= 1");
    DNASSM_CHECK(context >= -1, ErrorKind::kUsage, "--context must be >= 0, or -1 (whole contig)");
    DNASSM_CHECK(head_class >= 0 || track_name == "loglik" || track_name == "entropy",
                 ErrorKind::kUsage,
                 "--track: '" + track_name + "' is not one of loglik, entropy" +
                     (head ? ", p_<class>" : " (p_<class> needs a fine-tuned segmentation model)"));
    const Track track = head_class >= 0          ? Track::kHeadClass
                        : track_name == "loglik" ? Track::kLoglik
                                                 : Track::kEntropy;
    DNASSM_CHECK(s.input->format() == InputFormat::kFasta, ErrorKind::kUsage,
                 o.input + ": predict writes reference-coordinate tracks and needs a FASTA input");
    // Tracks are written in contig order without overlaps.
    std::vector<Region> regions =
        sort_and_merge(s.regions.empty() ? whole_contigs(s.input->contigs()) : s.regions);
    for (auto& r : regions) r.name.clear();
    auto writer = TrackWriter::create(o.output, s.input->contigs());
    const std::int64_t V = s.model->info().vocab_size;
    Progress progress(s.progress_mode, s.total_bases * (o.rc ? 2 : 1), "predict");
    std::vector<std::int32_t> ids;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Per-base values of one strand: row i of the logits predicts base i + 1.
    // Masked LM (bidirectional models): each base is predicted with itself masked, from a window
    // of --mlm-context bases on each side (one forward pass per base).
    auto masked_values = [&](const std::vector<std::int32_t>& tok) {
        const auto L = static_cast<std::int64_t>(tok.size());
        std::vector<float> vals(static_cast<size_t>(L), nan);
        std::vector<std::int32_t> win;
        for (std::int64_t t = 0; t < L; ++t) {
            const std::int64_t b = std::max<std::int64_t>(0, t - mlm_context),
                               e = std::min(L, t + mlm_context + 1);
            win.assign(tok.begin() + b, tok.begin() + e);
            win[static_cast<size_t>(t - b)] = token::kMask;
            const Tensor h = s.model->forward(*s.backend, win, nullptr);
            const Tensor logits = s.model->logits(*s.backend, h.slice_rows(t - b, t - b + 1));
            float v = 0;
            if (track_value(logits.f32(), tok[static_cast<size_t>(t)], track, v))
                vals[static_cast<size_t>(t)] = v;
            progress.advance(1);
        }
        return vals;
    };
    auto strand_values = [&](const std::vector<std::int32_t>& tok) {
        if (!s.model->causal() && track != Track::kHeadClass) return masked_values(tok);
        const auto L = static_cast<std::int64_t>(tok.size());
        std::vector<float> vals(static_cast<size_t>(L), nan);
        run_sequence(
            *s.model, *s.backend, tok, run_options(s, o), &progress,
            [&](std::int64_t offset, const Tensor& h) {
                if (track == Track::kHeadClass) {  // row i is base offset + i itself
                    const Tensor p = head->probabilities(h);
                    for (std::int64_t i = 0; i < h.dim(0); ++i)
                        vals[static_cast<size_t>(offset + i)] =
                            p.f32()[i * head->n_classes() + head_class];
                    return;
                }
                const Tensor logits = s.model->logits(*s.backend, h);
                for (std::int64_t i = 0; i < h.dim(0) && offset + i + 1 < L; ++i) {
                    const std::int64_t pos = offset + i + 1;
                    float v = 0;
                    if (track_value(logits.f32() + i * V, tok[static_cast<size_t>(pos)], track, v))
                        vals[static_cast<size_t>(pos)] = v;
                }
            });
        return vals;
    };
    // Each region is computed over its extended span and written back clipped to itself.
    const std::vector<Region> cores = regions;
    if (context != 0) {
        const bool right = o.rc || !s.model->causal();
        for (auto& r : regions) {
            std::int64_t len = r.end;
            for (const auto& c : s.input->contigs())
                if (c.name == r.contig) len = c.length;
            r.beg = context < 0 ? 0 : std::max<std::int64_t>(0, r.beg - context);
            if (right) r.end = context < 0 ? len : std::min(len, r.end + context);
        }
    }
    size_t region_index = 0;
    s.input->for_each(regions, [&](SequenceRecord& rec) {
        const Region& core = cores[region_index++];
        tokenize(o, rec, ids, s.stats);
        const auto L = static_cast<std::int64_t>(ids.size());
        note_plan(s, o, L);
        std::vector<float> vals = strand_values(ids);
        if (o.rc) {
            // The reverse strand predicts each base from its right-hand context; average the two
            // strands' values where both exist, else keep the one that does.
            std::vector<std::int32_t> rc = ids;
            reverse_complement(rc);
            const std::vector<float> r = strand_values(rc);
            for (std::int64_t p = 0; p < L; ++p) {
                const float a = vals[static_cast<size_t>(p)], b = r[static_cast<size_t>(L - 1 - p)];
                vals[static_cast<size_t>(p)] = std::isnan(a)   ? b
                                               : std::isnan(b) ? a
                                                               : 0.5f * (a + b);
            }
        }
        const std::int64_t keep_beg = core.beg - rec.region.beg,
                           keep_end = core.end - rec.region.beg;
        for (std::int64_t p = keep_beg; p < keep_end;) {  // runs of defined values
            if (std::isnan(vals[static_cast<size_t>(p)])) {
                ++p;
                continue;
            }
            std::int64_t q = p;
            while (q < keep_end && !std::isnan(vals[static_cast<size_t>(q)])) ++q;
            writer->add_run(rec.region.contig, rec.region.beg + p, vals.data() + p, q - p);
            p = q;
        }
    });
    progress.finish();
    writer->commit();
    report_base_stats(s.stats, o);
    return 0;
}

}  // namespace dnassm::app
