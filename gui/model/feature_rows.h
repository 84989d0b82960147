// BED features packed into rows, as a genome browser's expanded mode draws them: no two features
// in a row overlap, so overlapping genes (and their names) stay apart. Rows are counted per contig,
// over the whole contig, so they do not move while the view pans.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm::gui {

struct FeatureRows {
    std::vector<int> row;                   // each feature's row, in the input's order
    std::map<std::string, int> per_contig;  // rows used on each contig

    /// Rows a view of `contig` needs (at least 1).
    [[nodiscard]] int on(const std::string& contig) const;
};

/// Each feature takes the first row whose features all end at or before its start (features
/// taken by start). Past `max_rows`, the overlapping rest share the last row.
[[nodiscard]] FeatureRows pack_feature_rows(const std::vector<Region>& features, int max_rows);

/// A box of a feature as drawn: an exon, or the part of one inside (thick) or outside (thin) the
/// coding part. Between boxes lie introns, drawn as a line.
struct FeaturePiece {
    std::int64_t beg = 0, end = 0;
    bool thick = true;
    bool operator==(const FeaturePiece&) const = default;
};

/// The boxes of `f` in position order: its exons (without a model, or a model without exons,
/// the whole feature), each split where the coding part begins and ends.
[[nodiscard]] std::vector<FeaturePiece> feature_pieces(const Region& f, const GeneModel* model);

}  // namespace dnassm::gui
