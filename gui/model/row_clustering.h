// Hierarchical clustering of heatmap rows, as JBrowse's multi-row track clusters its rows (R's
// hclust): average linkage on correlation distance, 1 - Pearson r, so embedding dimensions that
// rise and fall together along the sequence sit together whatever their scale.
#pragma once

#include <cstdint>
#include <vector>

namespace dnassm::gui {

/// One merge of the dendrogram. Nodes 0..rows-1 are the rows; merge i makes node rows + i.
struct RowMerge {
    int a = 0, b = 0;   // the merged nodes, a < b
    double height = 0;  // their average distance
};

struct RowClustering {
    std::vector<int> order;  // rows in dendrogram (leaf) order, a's side before b's
    std::vector<RowMerge> merges;
};

/// Clusters the rows of `values` {rows, cols}. At most kClusterColumns evenly spaced columns are
/// compared (a megabase heatmap has 200,000); a row without variation is at distance 1 from all.
[[nodiscard]] RowClustering cluster_rows(const std::vector<float>& values,
                                         std::int64_t rows,
                                         std::int64_t cols);

inline constexpr std::int64_t kClusterColumns = 4096;

}  // namespace dnassm::gui
