#include "model_run.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

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

RunResult run_model(const RunRequest& req,
                    const std::function<void(double)>& progress_fn,
                    const std::atomic<bool>* cancel) {
    const std::shared_ptr<const Model> model =
        req.loaded ? req.loaded : std::shared_ptr<const Model>(Model::load(req.model_dir));
    auto backend = make_backend("cpu");
    const FastaSource fasta(req.fasta);
    const std::int64_t contig_len = fasta.length(req.locus.contig);
    DNASSM_CHECK(req.locus.beg >= 0 && req.locus.end <= contig_len && req.locus.width() >= 2,
                 ErrorKind::kInput,
                 req.locus.label() + ": outside the contig or shorter than 2 bases");
    std::vector<std::int32_t> ids;
    TokenizeStats stats;
    std::string bases = fasta.fetch(req.locus);
    CharTokenizer(true).encode(bases, ids, stats, req.fasta + ": " + req.locus.label());
    const std::int64_t L = static_cast<std::int64_t>(ids.size());
    DNASSM_CHECK(!(req.compare_strands && req.rc), ErrorKind::kUsage,
                 "comparing strands shows each strand's tracks; turn off averaging with the "
                 "reverse complement (--rc)");
    const Snv& snv = req.variant;
    std::vector<std::int32_t> alt_ids;
    if (!snv.empty()) {
        DNASSM_CHECK(
            snv.contig == req.locus.contig && snv.pos >= req.locus.beg && snv.pos < req.locus.end,
            ErrorKind::kUsage,
            "variant " + snv.label() + " is outside the region run (" + req.locus.label() + ")");
        char& base = bases[static_cast<size_t>(snv.pos - req.locus.beg)];
        const char found = static_cast<char>(std::toupper(static_cast<unsigned char>(base)));
        DNASSM_CHECK(found == snv.ref, ErrorKind::kInput,
                     "variant " + snv.label() + ": REF " + snv.ref + " does not match " +
                         req.fasta + ", which has " + found + " there");
        base = snv.alt;
        CharTokenizer(true).encode(bases, alt_ids, stats, req.fasta + ": " + req.locus.label());
    }

    RunResult out;
    out.locus = req.locus;
    out.model_dir = req.model_dir;
    out.variant = snv;
    std::vector<std::string> names = req.tracks.empty() ? track_names(*model) : req.tracks;
    std::vector<TrackSpec> specs;
    for (const auto& name : names) {
        specs.push_back(track_spec(*model, name));
        specs.back().rc = req.rc;
    }

    // The embedding (per-base hidden states averaged into bins — one base each unless the locus
    // is very long — and mean-pooled windows) comes from the same pass as the tracks.
    const std::int64_t D = model->info().d_model;
    out.bin_size = std::max<std::int64_t>(1, (L + kMaxHeatmapBins - 1) / kMaxHeatmapBins);
    out.bins = (L + out.bin_size - 1) / out.bin_size;
    const std::int64_t window = req.window > 0 ? req.window : std::max<std::int64_t>(50, L / 200);
    const std::int64_t n_windows = std::max<std::int64_t>(1, L / window);
    std::vector<float> binned(req.embedding ? static_cast<size_t>(out.bins * D) : 0, 0.0f);
    std::vector<double> pooled(req.embedding ? static_cast<size_t>(n_windows * D) : 0, 0.0);
    auto collect = [&](std::int64_t offset, const Tensor& h) {
        for (std::int64_t i = 0; i < h.dim(0); ++i) {
            const std::int64_t pos = offset + i, bin = pos / out.bin_size,
                               win = std::min(pos / window, n_windows - 1);
            const float* row = h.f32() + i * D;
            for (std::int64_t d = 0; d < D; ++d) {
                binned[static_cast<size_t>(bin * D + d)] += row[d];
                pooled[static_cast<size_t>(win * D + d)] += row[d];
            }
        }
    };
    Progress progress(ProgressMode::kNone,
                      per_base_work(*model, L, specs, req.embedding) +
                          (snv.empty() ? 0 : per_base_work(*model, L, specs, false)) +
                          (req.compare_strands ? per_base_work(*model, L, specs, false) : 0),
                      "explorer");
    progress.set_observer([&](std::int64_t done, std::int64_t all) {
        if (cancel && cancel->load()) throw RunCancelled();
        if (progress_fn)
            progress_fn(all > 0 ? static_cast<double>(done) / static_cast<double>(all) : 1.0);
    });
    auto values =
        per_base_tracks(*model, *backend, ids, specs, &progress,
                        req.embedding ? std::function<void(std::int64_t, const Tensor&)>(collect)
                                      : std::function<void(std::int64_t, const Tensor&)>());
    std::vector<std::vector<float>> rc;  // compare_strands: each track from the other strand
    if (req.compare_strands) {
        std::vector<std::int32_t> rc_ids = ids;
        reverse_complement(rc_ids);
        rc = per_base_tracks(*model, *backend, rc_ids, specs, &progress, {});
        for (auto& v : rc) std::reverse(v.begin(), v.end());  // base p of the forward strand
    }
    std::vector<std::vector<float>> alt;  // variant mode: each track with the base substituted
    if (!snv.empty()) alt = per_base_tracks(*model, *backend, alt_ids, specs, &progress, {});
    // a - b, base by base (NaN where either is).
    auto minus = [](const std::vector<float>& a, const std::vector<float>& b) {
        std::vector<float> d(a.size());
        for (size_t i = 0; i < d.size(); ++i) d[i] = a[i] - b[i];
        return d;
    };
    for (size_t k = 0; k < names.size(); ++k) {
        out.tracks.push_back({names[k], values[k]});
        if (req.compare_strands) {
            std::vector<float> d = minus(rc[k], values[k]);
            out.tracks.push_back({names[k] + " rc", std::move(rc[k])});
            out.tracks.push_back({names[k] + " rc-fwd", std::move(d)});
        }
        if (!snv.empty()) {
            std::vector<float> d = minus(alt[k], values[k]);
            out.tracks.push_back({names[k] + " alt", std::move(alt[k])});
            out.tracks.push_back({names[k] + " alt-ref", std::move(d)});
        }
    }
    for (size_t k = names.size(); k-- > 0;) {
        if (names[k].rfind("p_", 0) != 0) continue;
        out.calls_track = names[k];
        out.calls_threshold = req.call_threshold;
        CallOptions o;
        o.threshold = req.call_threshold;
        o.probability = true;
        CallFinder finder(o, [&](const Call& c) {
            char mean[32];
            std::snprintf(mean, sizeof mean, " mean %.3f", static_cast<double>(c.score) / 1000);
            out.calls.push_back(
                {.contig = c.contig, .beg = c.beg, .end = c.end, .name = names[k] + mean});
        });
        finder.add_spans(req.locus.contig, req.locus.beg, 1, values[k].data(),
                         static_cast<std::int64_t>(values[k].size()));
        finder.finish();
        break;
    }
    if (!req.embedding) return out;

    for (std::int64_t b = 0; b < out.bins; ++b) {
        const std::int64_t n = std::min(out.bin_size, L - b * out.bin_size);
        for (std::int64_t d = 0; d < D; ++d)
            binned[static_cast<size_t>(b * D + d)] /= static_cast<float>(n);
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
    for (std::int64_t w = 0; w < n_windows; ++w) {
        const std::int64_t beg = w * window, end = w + 1 == n_windows ? L : beg + window;
        out.windows.push_back({req.locus.contig, req.locus.beg + beg, req.locus.beg + end});
        for (std::int64_t d = 0; d < D; ++d)
            windows[static_cast<size_t>(w * D + d)] = static_cast<float>(
                pooled[static_cast<size_t>(w * D + d)] / static_cast<double>(end - beg));
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
