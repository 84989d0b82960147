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

}  // namespace dnassm::gui
