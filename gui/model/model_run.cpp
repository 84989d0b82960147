#include "model_run.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/call_finder.h"
#include "dnassm/model.h"
#include "dnassm/per_base_track.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/tokenizer.h"

#include "pca.h"
#include "sources.h"

namespace dnassm::gui {

std::vector<float> RunResult::values_over(size_t k, const Locus& l) const {
    std::vector<float> v(static_cast<size_t>(std::max<std::int64_t>(l.width(), 0)),
                         std::numeric_limits<float>::quiet_NaN());
    const std::vector<float>& src = tracks.at(k).values;
    for (auto part = parts.rbegin(); part != parts.rend(); ++part) {  // the first part wins
        const Locus& p = part->locus;
        if (p.contig != l.contig) continue;
        for (std::int64_t pos = std::max(l.beg, p.beg); pos < std::min(l.end, p.end); ++pos)
            v[static_cast<size_t>(pos - l.beg)] =
                src[static_cast<size_t>(part->value_offset + pos - p.beg)];
    }
    return v;
}

const RunPart* RunResult::part_at(const std::string& contig, std::int64_t pos) const {
    for (const RunPart& p : parts)
        if (p.locus.contig == contig && pos >= p.locus.beg && pos < p.locus.end) return &p;
    return nullptr;
}

namespace {

// One locus to run: its tokens, and with the variant substituted where it holds the variant.
struct PartInput {
    Locus locus;
    std::vector<std::int32_t> ids, alt_ids;
    std::int64_t after = 0;  // the contig's bases after the locus
};

PartInput read_part(const FastaSource& fasta, const RunRequest& req, const Locus& l) {
    const std::int64_t contig_len = fasta.length(l.contig);
    DNASSM_CHECK(l.beg >= 0 && l.end <= contig_len && l.width() >= 2, ErrorKind::kInput,
                 l.label() + ": outside the contig or shorter than 2 bases");
    PartInput in{l, {}, {}, contig_len - l.end};
    TokenizeStats stats;
    std::string bases = fasta.fetch(l);
    CharTokenizer(true).encode(bases, in.ids, stats, req.fasta + ": " + l.label());
    const Snv& snv = req.variant;
    if (snv.empty() || snv.contig != l.contig || snv.pos < l.beg || snv.pos >= l.end) return in;
    char& base = bases[static_cast<size_t>(snv.pos - l.beg)];
    const char found = static_cast<char>(std::toupper(static_cast<unsigned char>(base)));
    DNASSM_CHECK(found == snv.ref, ErrorKind::kInput,
                 "variant " + snv.label() + ": REF " + snv.ref + " does not match " + req.fasta +
                     ", which has " + found + " there");
    base = snv.alt;
    CharTokenizer(true).encode(bases, in.alt_ids, stats, req.fasta + ": " + l.label());
    return in;
}

}  // namespace

RunResult run_model(const RunRequest& req,
                    const std::function<void(double)>& progress_fn,
                    const std::atomic<bool>* cancel) {
    const std::shared_ptr<const Model> model =
        req.loaded ? req.loaded : std::shared_ptr<const Model>(Model::load(req.model_dir));
    auto backend = make_backend("cpu");
    const FastaSource fasta(req.fasta);
    DNASSM_CHECK(!(req.compare_strands && req.rc), ErrorKind::kUsage,
                 "comparing strands shows each strand's tracks; turn off averaging with the "
                 "reverse complement (--rc)");
    std::vector<PartInput> inputs;
    for (const Locus& l : req.loci.empty() ? std::vector<Locus>{req.locus} : req.loci)
        inputs.push_back(read_part(fasta, req, l));
    const Snv& snv = req.variant;
    DNASSM_CHECK(
        snv.empty() || std::any_of(inputs.begin(), inputs.end(),
                                   [](const PartInput& in) { return !in.alt_ids.empty(); }),
        ErrorKind::kUsage,
        "variant " + snv.label() + " is outside the region run (" +
            (inputs.size() == 1 ? inputs[0].locus.label()
                                : std::to_string(inputs.size()) + " loci") +
            ")");

    RunResult out;
    out.locus = inputs[0].locus;
    out.model_dir = req.model_dir;
    out.variant = snv;
    std::vector<std::string> names = req.tracks.empty() ? track_names(*model) : req.tracks;
    std::vector<TrackSpec> specs;
    for (const auto& name : names) {
        specs.push_back(track_spec(*model, name));
        specs.back().rc = req.rc;
        specs.back().mlm_spacing = req.mlm_spacing;
        specs.back().mlm_context = req.mlm_context;
    }
    if (!model->causal())
        out.masked = (req.mlm_spacing > 0
                          ? "bases " + std::to_string(req.mlm_spacing) + " apart masked together"
                          : std::string("a masked pass per base")) +
                     ", " + std::to_string(req.mlm_context) + " bases of context either side";

    // The parts' places in the run's arrays: bases, heatmap bins (one base each unless the loci
    // are very long together) and pooled windows.
    std::int64_t total = 0;
    for (const PartInput& in : inputs) total += static_cast<std::int64_t>(in.ids.size());
    out.bin_size = std::max<std::int64_t>(1, (total + kMaxHeatmapBins - 1) / kMaxHeatmapBins);
    const std::int64_t window =
        req.window > 0 ? req.window : std::max<std::int64_t>(50, total / 200);
    std::int64_t n_windows = 0, value_offset = 0;
    for (const PartInput& in : inputs) {
        const auto L = static_cast<std::int64_t>(in.ids.size());
        out.parts.push_back({in.locus, value_offset, out.bins,
                             (L + out.bin_size - 1) / out.bin_size, n_windows,
                             std::max<std::int64_t>(1, L / window)});
        value_offset += L;
        out.bins += out.parts.back().bins;
        n_windows += out.parts.back().windows;
    }

    const std::int64_t D = model->info().d_model;
    std::vector<float> binned(req.embedding ? static_cast<size_t>(out.bins * D) : 0, 0.0f);
    std::vector<double> pooled(req.embedding ? static_cast<size_t>(n_windows * D) : 0, 0.0);
    std::int64_t work = 0;
    for (const PartInput& in : inputs) {
        const auto L = static_cast<std::int64_t>(in.ids.size());
        work += per_base_work(*model, L, specs, req.embedding) +
                (in.alt_ids.empty() ? 0 : per_base_work(*model, L, specs, false)) +
                (req.compare_strands ? per_base_work(*model, L, specs, false) : 0);
    }
    Progress progress(ProgressMode::kNone, work, "explorer");
    progress.set_observer([&](std::int64_t done, std::int64_t all) {
        if (cancel && cancel->load()) throw RunCancelled();
        if (progress_fn)
            progress_fn(all > 0 ? static_cast<double>(done) / static_cast<double>(all) : 1.0);
    });

    // The tracks in the order they are shown: each name, then its other strand's and their
    // difference, then its alternate's and their difference.
    enum class Source { kForward, kReverse, kReverseMinusForward, kAlt, kAltMinusRef };
    std::vector<std::pair<size_t, Source>> shown;
    for (size_t k = 0; k < names.size(); ++k) {
        out.tracks.push_back({names[k], {}});
        shown.emplace_back(k, Source::kForward);
        if (req.compare_strands) {
            out.tracks.push_back({names[k] + " rc", {}});
            out.tracks.push_back({names[k] + " rc-fwd", {}});
            shown.emplace_back(k, Source::kReverse);
            shown.emplace_back(k, Source::kReverseMinusForward);
        }
        if (!snv.empty()) {
            out.tracks.push_back({names[k] + " alt", {}});
            out.tracks.push_back({names[k] + " alt-ref", {}});
            shown.emplace_back(k, Source::kAlt);
            shown.emplace_back(k, Source::kAltMinusRef);
        }
    }
    for (auto& t : out.tracks) t.values.reserve(static_cast<size_t>(total));
    std::int64_t calls_track = -1;  // a task head's calls: from its last class's track
    for (size_t k = names.size(); k-- > 0 && calls_track < 0;)
        if (names[k].rfind("p_", 0) == 0) calls_track = static_cast<std::int64_t>(k);

    for (size_t part = 0; part < inputs.size(); ++part) {
        const PartInput& in = inputs[part];
        const RunPart& where = out.parts[part];
        auto collect = [&](std::int64_t offset, const Tensor& h) {
            for (std::int64_t i = 0; i < h.dim(0); ++i) {
                const std::int64_t pos = offset + i, bin = where.bin_offset + pos / out.bin_size,
                                   win = where.window_offset +
                                         std::min(pos / window, where.windows - 1);
                const float* row = h.f32() + i * D;
                for (std::int64_t d = 0; d < D; ++d) {
                    binned[static_cast<size_t>(bin * D + d)] += row[d];
                    pooled[static_cast<size_t>(win * D + d)] += row[d];
                }
            }
        };
        // The locus's place on its contig: where --mlm-spacing's cores fall, as for predict -r.
        const WantedBases on_contig{0, -1, in.locus.beg, in.after};
        auto values = per_base_tracks(
            *model, *backend, in.ids, specs, &progress,
            req.embedding ? std::function<void(std::int64_t, const Tensor&)>(collect)
                          : std::function<void(std::int64_t, const Tensor&)>(),
            on_contig);
        std::vector<std::vector<float>> rc;  // compare_strands: each track from the other strand
        if (req.compare_strands) {
            std::vector<std::int32_t> rc_ids = in.ids;
            reverse_complement(rc_ids);
            rc = per_base_tracks(*model, *backend, rc_ids, specs, &progress, {},
                                 {0, -1, in.after, in.locus.beg});
            for (auto& v : rc) std::reverse(v.begin(), v.end());  // base p of the forward strand
        }
        // Variant mode: each track with the base substituted (a part without it reads the same:
        // its alternate's tracks are its reference's).
        std::vector<std::vector<float>> alt;
        if (!in.alt_ids.empty())
            alt = per_base_tracks(*model, *backend, in.alt_ids, specs, &progress, {}, on_contig);
        for (size_t t = 0; t < shown.size(); ++t) {
            const auto [k, source] = shown[t];
            std::vector<float>& to = out.tracks[t].values;
            const bool from_rc =
                           source == Source::kReverse || source == Source::kReverseMinusForward,
                       from_alt = source == Source::kAlt || source == Source::kAltMinusRef;
            const std::vector<float>& from = from_rc                    ? rc[k]
                                             : from_alt && !alt.empty() ? alt[k]
                                                                        : values[k];
            // A difference from the forward track is NaN where either is.
            const bool minus_forward =
                source == Source::kReverseMinusForward || source == Source::kAltMinusRef;
            for (size_t i = 0; i < from.size(); ++i)
                to.push_back(minus_forward ? from[i] - values[k][i] : from[i]);
        }
        if (calls_track >= 0) {
            const std::string& name = names[static_cast<size_t>(calls_track)];
            CallOptions o;
            o.threshold = req.call_threshold;
            o.probability = true;
            CallFinder finder(o, [&](const Call& c) {
                char mean[32];
                std::snprintf(mean, sizeof mean, " mean %.3f", static_cast<double>(c.score) / 1000);
                out.calls.push_back(
                    {.contig = c.contig, .beg = c.beg, .end = c.end, .name = name + mean});
            });
            const auto& v = values[static_cast<size_t>(calls_track)];
            finder.add_spans(in.locus.contig, in.locus.beg, 1, v.data(),
                             static_cast<std::int64_t>(v.size()));
            finder.finish();
        }
    }
    if (calls_track >= 0) {
        out.calls_track = names[static_cast<size_t>(calls_track)];
        out.calls_threshold = req.call_threshold;
    }
    if (!req.embedding) return out;

    for (const RunPart& part : out.parts)
        for (std::int64_t b = 0; b < part.bins; ++b) {
            const std::int64_t n = std::min(out.bin_size, part.locus.width() - b * out.bin_size);
            for (std::int64_t d = 0; d < D; ++d)
                binned[static_cast<size_t>((part.bin_offset + b) * D + d)] /= static_cast<float>(n);
        }
    if (!req.dims.empty()) {
        for (std::int64_t d : req.dims)
            DNASSM_CHECK(d >= 0 && d < D, ErrorKind::kUsage,
                         "embedding dimension " + std::to_string(d) + " is outside 0.." +
                             std::to_string(D - 1));
        out.components = static_cast<std::int64_t>(req.dims.size());
        out.heatmap.resize(static_cast<size_t>(out.components * out.bins));
        for (std::int64_t c = 0; c < out.components; ++c) {
            out.row_labels.push_back("dim " + std::to_string(req.dims[static_cast<size_t>(c)]));
            for (std::int64_t b = 0; b < out.bins; ++b)
                out.heatmap[static_cast<size_t>(c * out.bins + b)] =
                    binned[static_cast<size_t>(b * D + req.dims[static_cast<size_t>(c)])];
        }
        if (req.cluster_rows && out.components > 1) {
            const RowClustering tree = cluster_rows(out.heatmap, out.components, out.bins);
            std::vector<float> heatmap(out.heatmap.size());
            std::vector<std::string> labels;
            std::vector<int> row_of(tree.order.size());  // a row's place as drawn
            for (size_t r = 0; r < tree.order.size(); ++r) {
                const auto from = static_cast<std::int64_t>(tree.order[r]);
                std::copy_n(out.heatmap.begin() + from * out.bins, out.bins,
                            heatmap.begin() + static_cast<std::int64_t>(r) * out.bins);
                labels.push_back(out.row_labels[static_cast<size_t>(from)]);
                row_of[static_cast<size_t>(from)] = static_cast<int>(r);
            }
            out.heatmap = std::move(heatmap);
            out.row_labels = std::move(labels);
            const auto drawn = [&](int v) {
                return v < out.components ? row_of[static_cast<size_t>(v)] : v;
            };
            for (const RowMerge& m : tree.merges)
                out.row_merges.push_back({drawn(m.a), drawn(m.b), m.height});
        }
    } else {
        const Pca pca = fit_pca(binned.data(), out.bins, D, req.components);
        out.components = pca.k;
        char label[64];
        for (std::int64_t c = 0; c < pca.k; ++c) {
            const double share = pca.total_variance > 0
                                     ? pca.variance[static_cast<size_t>(c)] / pca.total_variance
                                     : 0.0;
            std::snprintf(label, sizeof label, "PC%lld (%.1f%%)", static_cast<long long>(c + 1),
                          100.0 * share);
            out.row_labels.push_back(label);
        }
        const std::vector<float> scores = project(pca, binned.data(), out.bins);  // {bins, k}
        out.heatmap.resize(static_cast<size_t>(pca.k * out.bins));
        for (std::int64_t b = 0; b < out.bins; ++b)
            for (std::int64_t c = 0; c < pca.k; ++c)
                out.heatmap[static_cast<size_t>(c * out.bins + b)] =
                    scores[static_cast<size_t>(b * pca.k + c)];
    }

    std::vector<float> windows(static_cast<size_t>(n_windows * D));
    for (const RunPart& part : out.parts) {
        const Locus& l = part.locus;
        for (std::int64_t k = 0; k < part.windows; ++k) {
            const std::int64_t w = part.window_offset + k, beg = k * window,
                               end = k + 1 == part.windows ? l.width() : beg + window;
            out.windows.push_back({l.contig, l.beg + beg, l.beg + end});
            for (std::int64_t d = 0; d < D; ++d)
                windows[static_cast<size_t>(w * D + d)] = static_cast<float>(
                    pooled[static_cast<size_t>(w * D + d)] / static_cast<double>(end - beg));
        }
    }
    const Pca wp = fit_pca(windows.data(), n_windows, D, 2);
    const std::vector<float> xy = project(wp, windows.data(), n_windows);
    out.window_xy.assign(static_cast<size_t>(n_windows * 2), 0.0f);
    for (std::int64_t w = 0; w < n_windows; ++w)
        for (std::int64_t c = 0; c < wp.k; ++c)
            out.window_xy[static_cast<size_t>(w * 2 + c)] = xy[static_cast<size_t>(w * wp.k + c)];
    return out;
}

}  // namespace dnassm::gui
