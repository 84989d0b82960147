// dnassm predict: per-base tracks from the LM head.
//   loglik  = ln p(x_t | x_<t), the next-base distribution restricted to A/C/G/T and renormalised
//   entropy = entropy (nats) of that 4-way distribution
// Position t is predicted from the hidden state at t-1, so the first base of each region has no
// value; loglik is also undefined where the observed base is not A/C/G/T (N): both are gaps.
// With --rc the reverse-complement strand gives a second value for each base, predicted from the
// bases to its right (the complement's probability on that strand); the track is the mean of
// the two where both exist (the first and last base of a region then have one value each).
#include <cmath>
#include <limits>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"
#include "dnassm/sequence_runner.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

namespace {

enum class Track { kLoglik, kEntropy };

// Fills value[i] for the base predicted by logits row i; returns false where undefined.
bool track_value(const float* logits_row, std::int32_t next_id, Track track, float& value) {
    double m = -INFINITY;
    for (int k = 0; k < 4; ++k) m = std::max(m, static_cast<double>(logits_row[token::kA + k]));
    double z = 0, p[4];
    for (int k = 0; k < 4; ++k) z += (p[k] = std::exp(logits_row[token::kA + k] - m));
    const double logz = std::log(z) + m;
    if (track == Track::kLoglik) {
        if (next_id < token::kA || next_id > token::kT) return false;
        value = static_cast<float>(logits_row[next_id] - logz);
        return true;
    }
    double h = 0;
    for (int k = 0; k < 4; ++k) {
        const double q = p[k] / z;
        if (q > 0) h -= q * std::log(q);
    }
    value = static_cast<float>(h);
    return true;
}

}  // namespace

int cmd_predict(int argc, char** argv) {
    CommonOptions o;
    std::string track_name = "loglik";
    po::options_description desc("dnassm predict options");
    add_common_options(desc, o);
    desc.add_options()("track", po::value(&track_name)->default_value("loglik"),
                       "loglik (ln p of the observed base given its left context) or entropy");
    if (!parse_command_line(
            argc, argv,
            "dnassm predict -m MODEL_DIR [-r REGION]... [-R BED] --track loglik|entropy "
            "-o OUT.{bw,bedgraph} IN.fa",
            desc, o))
        return 0;
    DNASSM_CHECK(track_name == "loglik" || track_name == "entropy", ErrorKind::kUsage,
                 "--track: '" + track_name + "' is not one of loglik, entropy");
    const Track track = track_name == "loglik" ? Track::kLoglik : Track::kEntropy;
    Session s = open_session(o);
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
    auto strand_values = [&](const std::vector<std::int32_t>& tok) {
        const auto L = static_cast<std::int64_t>(tok.size());
        std::vector<float> vals(static_cast<size_t>(L), nan);
        run_sequence(
            *s.model, *s.backend, tok, run_options(s, o), &progress,
            [&](std::int64_t offset, const Tensor& h) {
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
    s.input->for_each(regions, [&](SequenceRecord& rec) {
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
        for (std::int64_t p = 0; p < L;) {  // runs of defined values
            if (std::isnan(vals[static_cast<size_t>(p)])) {
                ++p;
                continue;
            }
            std::int64_t q = p;
            while (q < L && !std::isnan(vals[static_cast<size_t>(q)])) ++q;
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
