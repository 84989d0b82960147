// Running a model over a locus for the explorer (no widgets; the window runs this on a worker
// thread): per-base tracks exactly as `dnassm predict` computes them (dnassm/per_base_track.h),
// an embedding heatmap (top principal components of the per-base final hidden states), and a
// PCA of mean-pooled windows for the scatter view; in variant mode, the tracks with a base
// substituted and their difference from the reference's; comparing strands, the tracks read
// from the reverse complement and their difference from the forward strand's. A split view's
// loci run together: each is read on its own, and the embedding's principal components are
// fitted over all of them, so panels side by side share one basis.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dnassm/model.h"

#include "locus.h"
#include "row_clustering.h"
#include "variant.h"

namespace dnassm::gui {

struct RunRequest {
    std::string model_dir, fasta;
    Locus locus;
    bool rc = false;
    std::vector<std::string> tracks;  // names from dnassm::track_names(); empty = all of them
    bool embedding = true;
    std::int64_t components = 8;     // heatmap rows: the top principal components ...
    std::int64_t window = 0;         // pooled-window size for the scatter; 0 = width / 200, >= 50
    std::vector<std::int64_t> dims;  // ... or, when given, these embedding dimensions
    std::shared_ptr<const Model> loaded = nullptr;  // model_dir already loaded (else loaded here)
    // Variant mode: the tracks are also computed with this base substituted (it must lie in a
    // locus run and its REF match the FASTA), each followed by "<name> alt" and "<name> alt-ref"
    // (a locus without the variant reads the same sequence: its alt is its reference's).
    Snv variant = {};
    // Strand comparison: each track is also read from the reverse-complement strand (mapped back
    // to forward positions, as --rc maps it), shown as "<name> rc" and "<name> rc-fwd"; for an
    // RC-equivariant model (Caduceus-PS) the difference is rounding. Not with rc averaging.
    bool compare_strands = false;
    // A task head's calls (RunResult::calls) at this probability, as predict's default 0.5.
    float call_threshold = 0.5f;
    std::vector<Locus> loci = {};  // a split view's loci, run together; empty: just `locus`
    // With dims: the rows in the order of their hierarchical clustering (row_clustering.h).
    bool cluster_rows = false;
    // A masked LM's tracks: bases this far apart masked together (`predict --mlm-spacing`,
    // per_base_track.h), or 0: a pass per base (exact, and ~50x the work of 16).
    std::int64_t mlm_spacing = 0;
    std::int64_t mlm_context = 512;  // ... predicted from this many bases either side
};

struct TrackValues {
    std::string name;
    std::vector<float> values;  // per base of the parts, one after another; NaN = none
};

/// One locus of a run, and where its bases and heatmap bins lie in the run's arrays.
struct RunPart {
    Locus locus;
    std::int64_t value_offset = 0;                // its first base in TrackValues::values
    std::int64_t bin_offset = 0, bins = 0;        // its heatmap bins
    std::int64_t window_offset = 0, windows = 0;  // its pooled windows (with embedding)
};

struct RunResult {
    Locus locus;                 // the first part's: the locus run, outside a split view
    std::vector<RunPart> parts;  // every locus run, in the request's order
    std::string model_dir;
    Snv variant;  // the request's, where it had one
    std::vector<TrackValues> tracks;
    // Heatmap: `components` rows (PC scores, or the requested dimensions) for each of `bins`
    // bin_size-base bins, the parts' one after another ({components, bins}; bin_size 1 unless
    // the loci are longer than kMaxHeatmapBins together), with a label per row ("PC1 (25.2%)",
    // "dim 17").
    std::int64_t components = 0, bins = 0, bin_size = 1;
    std::vector<float> heatmap;
    std::vector<std::string> row_labels;
    // Clustered rows: the dendrogram, its leaves numbered by the rows as drawn; else empty.
    std::vector<RowMerge> row_merges;
    std::vector<Locus> windows;
    std::vector<float> window_xy;  // {windows, 2}: PC1, PC2 of the pooled windows
    // A task head's calls from its default track (the last class's p_<class>, as `dnassm
    // predict -o calls.bed` takes it): runs of bases whose probability reaches the request's
    // threshold, each named by the track and its mean probability. Empty track: no task head.
    std::string calls_track;
    float calls_threshold = 0.5f;
    std::vector<Region> calls;
    // A masked LM's tracks: how they were computed, for the figure's caption; empty for a causal
    // model's.
    std::string masked;

    /// Track k's values over `l`, NaN where no part has them.
    [[nodiscard]] std::vector<float> values_over(size_t k, const Locus& l) const;
    /// The part holding base `pos` of `contig` (the first, where parts overlap); nullptr: none.
    [[nodiscard]] const RunPart* part_at(const std::string& contig, std::int64_t pos) const;
};

inline constexpr std::int64_t kMaxHeatmapBins = 200000;
/// The most embedding dimensions a heatmap draws as rows.
inline constexpr std::int64_t kMaxHeatmapDims = 256;

struct RunCancelled : std::runtime_error {
    RunCancelled() : std::runtime_error("cancelled") {}
};

/// Runs the request; progress(fraction) is called from the running thread. Throws RunCancelled
/// soon after *cancel becomes true, dnassm::Error for bad input or models.
[[nodiscard]] RunResult run_model(const RunRequest& request,
                                  const std::function<void(double)>& progress = {},
                                  const std::atomic<bool>* cancel = nullptr);

}  // namespace dnassm::gui
