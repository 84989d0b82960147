// Loci and view arithmetic of the explorer: parsing what users type in the locus box, and
// zooming/panning a visible range inside a contig.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm::gui {

/// A visible range, 0-based half-open.
struct Locus {
    std::string contig;
    std::int64_t beg = 0, end = 0;

    [[nodiscard]] std::int64_t width() const { return end - beg; }
    /// samtools form, 1-based inclusive, with thousands separators: "chr:1,001-2,000".
    [[nodiscard]] std::string label() const;
    /// samtools form without separators, as Region::label writes it: "chr:1001-2000".
    [[nodiscard]] std::string region() const;
    bool operator==(const Locus&) const = default;
};

/// How the explorer names bases [beg, end) of a contig: as Locus::label, or "chr:1,000" for a
/// single base (a SNV's record), as IGV names one.
[[nodiscard]] std::string span_label(const std::string& contig, std::int64_t beg, std::int64_t end);

/// A count with thousands separators: 1234567 -> "1,234,567".
[[nodiscard]] std::string with_commas(std::int64_t v);

/// A tick of the ruler: a 0-based position and its label.
struct RulerTick {
    std::int64_t pos = 0;
    std::string label;
};

/// The ruler's ticks over `l`: every multiple of a step of 1, 2 or 5 times a power of ten (3 to
/// 8 ticks across), labelled as precisely as the step needs, so neighbours never read alike at
/// any position: whole bases below a 1 kb step ("123,456,720"), kilobases below a 1 Mb step
/// ("1,230k"), else megabases ("12M"). Labels read as the base coordinates the ruler shows
/// elsewhere (the position itself, as IGV's ruler).
[[nodiscard]] std::vector<RulerTick> ruler_ticks(const Locus& l);

/// Replaces numbers with k/K/M/m/G suffixes by plain integers ("1.5M" -> "1500000"); a number
/// that is not a whole count of bases is Error(kInput).
[[nodiscard]] std::string expand_base_suffixes(const std::string& text);

/// What the locus box accepts: samtools strings ("chr", "chr:beg", "chr:beg-end", thousands
/// separators) with k/M suffixes, or the name of a feature in `features` (BED column 4).
/// Unknown names and bad ranges are Error(kInput) naming the text.
[[nodiscard]] Locus parse_locus(const std::string& text,
                                const std::vector<Contig>& contigs,
                                const std::vector<Region>& features = {});

/// A panel of IGV's multi-locus (split) view: a locus and the name over it (a feature's name,
/// or empty for a locus typed as coordinates).
struct Panel {
    Locus locus;
    std::string name;
    bool operator==(const Panel&) const = default;
};

/// The most panels a split view shows side by side; more would be slivers.
inline constexpr int kMaxPanels = 16;

/// Error(kInput) naming `count` and the limit when `count` loci (of `what`: "loci", "regions of
/// interest") are more than kMaxPanels; `where` (a file) prefixes the message.
void check_panel_count(std::size_t count,
                       const std::string& what = "loci",
                       const std::string& where = "");

/// What the locus box accepts for a split view: loci separated by spaces, each as parse_locus
/// reads it (one is a plain single view). More than kMaxPanels, or a bad part, is Error(kInput)
/// naming it.
[[nodiscard]] std::vector<Panel> parse_loci(const std::string& text,
                                            const std::vector<Contig>& contigs,
                                            const std::vector<Region>& features = {});

/// What the locus box shows for `panels`, which parse_loci reads back to the same loci: each
/// panel's samtools string, separated by spaces.
[[nodiscard]] std::string loci_text(const std::vector<Panel>& panels);

/// The pixel columns [first, second) of `count` panels side by side across [left, left + width),
/// `gap` pixels apart, as equal as whole pixels allow (the first ones take the spare pixels).
[[nodiscard]] std::vector<std::pair<int, int>> panel_columns(int left,
                                                             int width,
                                                             int count,
                                                             int gap);

/// The range `factor` times as wide (factor < 1 zooms in) keeping the base at `anchor` (a
/// fraction of the width from the left) in place; clamped to [0, contig_len), at least
/// `min_width` bases wide.
[[nodiscard]] Locus zoom(const Locus& l,
                         double factor,
                         double anchor,
                         std::int64_t contig_len,
                         std::int64_t min_width = 20);

/// The range moved by `bases` (negative = left), kept inside [0, contig_len).
[[nodiscard]] Locus pan(const Locus& l, std::int64_t bases, std::int64_t contig_len);

/// Where IGV's next/previous feature (Ctrl+F / Ctrl+B) looks from: a position on a contig and,
/// after a jump, the feature jumped to (its index), so features sharing a midpoint are each
/// visited and a view held at a contig's end does not keep finding the same one.
struct FeatureCursor {
    std::string contig;
    std::int64_t pos = 0;
    /// The feature at `pos`; kFromView: none (looking from the view's centre).
    std::int64_t index = kFromView;
    static constexpr std::int64_t kFromView = -2;
};

/// The feature after (direction > 0) or before (< 0) `from` in genome order: contigs in their
/// order in `contigs` (features on other contigs are passed over), then midpoints, then their
/// order in `features`. -1 when there is none.
[[nodiscard]] std::int64_t step_feature(const std::vector<Region>& features,
                                        const std::vector<Contig>& contigs,
                                        const FeatureCursor& from,
                                        int direction);

/// A view `width` bases wide centred on base `pos` of `contig`, kept inside the contig.
[[nodiscard]] Locus centre_at(const std::string& contig,
                              std::int64_t pos,
                              std::int64_t width,
                              std::int64_t contig_len);

/// A view `width` bases wide centred on `f`'s midpoint, kept inside its contig.
[[nodiscard]] Locus centre_on(const Region& f, std::int64_t width, std::int64_t contig_len);

}  // namespace dnassm::gui
