#include "row_clustering.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace dnassm::gui {

namespace {

// Rows centred and scaled to unit length over the compared columns (all zero for a flat row),
// so a dot product of two is their Pearson correlation.
std::vector<double> standardized(const std::vector<float>& values,
                                 std::int64_t rows,
                                 std::int64_t cols,
                                 std::int64_t& used) {
    const std::int64_t stride =
        std::max<std::int64_t>(1, (cols + kClusterColumns - 1) / kClusterColumns);
    used = (cols + stride - 1) / stride;
    std::vector<double> z(static_cast<size_t>(rows * used));
    for (std::int64_t r = 0; r < rows; ++r) {
        double* row = z.data() + r * used;
        double mean = 0;
        for (std::int64_t c = 0; c < used; ++c) {
            row[c] = values[static_cast<size_t>(r * cols + c * stride)];
            mean += row[c];
        }
        mean /= static_cast<double>(used);
        double norm = 0;
        for (std::int64_t c = 0; c < used; ++c) {
            row[c] -= mean;
            norm += row[c] * row[c];
        }
        norm = std::sqrt(norm);
        for (std::int64_t c = 0; c < used; ++c) row[c] = norm > 0 ? row[c] / norm : 0.0;
    }
    return z;
}

}  // namespace

RowClustering cluster_rows(const std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
    RowClustering out;
    if (rows <= 0) return out;
    std::int64_t used = 0;
    const std::vector<double> z = standardized(values, rows, cols, used);
    const auto n = static_cast<size_t>(rows);
    // Distances between the current clusters; merging i and j keeps the average linkage by
    // Lance-Williams: d(k, i+j) = (n_i d(k, i) + n_j d(k, j)) / (n_i + n_j).
    std::vector<double> d(n * n, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
            double dot = 0;
            for (std::int64_t c = 0; c < used; ++c)
                dot += z[i * static_cast<size_t>(used) + static_cast<size_t>(c)] *
                       z[j * static_cast<size_t>(used) + static_cast<size_t>(c)];
            d[i * n + j] = d[j * n + i] = 1.0 - dot;
        }
    std::vector<int> node(n), size(n, 1);  // each slot's dendrogram node and row count
    for (size_t i = 0; i < n; ++i) node[i] = static_cast<int>(i);
    std::vector<bool> alive(n, true);
    for (size_t step = 0; step + 1 < n; ++step) {
        size_t bi = 0, bj = 0;
        double best = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < n; ++i) {
            if (!alive[i]) continue;
            for (size_t j = i + 1; j < n; ++j)
                if (alive[j] && d[i * n + j] < best) {
                    best = d[i * n + j];
                    bi = i;
                    bj = j;
                }
        }
        out.merges.push_back({std::min(node[bi], node[bj]), std::max(node[bi], node[bj]), best});
        for (size_t k = 0; k < n; ++k) {
            if (!alive[k] || k == bi || k == bj) continue;
            const double merged =
                (size[bi] * d[k * n + bi] + size[bj] * d[k * n + bj]) / (size[bi] + size[bj]);
            d[k * n + bi] = d[bi * n + k] = merged;
        }
        size[bi] += size[bj];
        node[bi] = static_cast<int>(n + step);
        alive[bj] = false;
    }
    // Leaf order: each merge's a side, then its b side.
    const std::function<void(int)> visit = [&](int v) {
        if (v < rows) {
            out.order.push_back(v);
            return;
        }
        const RowMerge& m = out.merges[static_cast<size_t>(v - rows)];
        visit(m.a);
        visit(m.b);
    };
    visit(static_cast<int>(rows == 1 ? 0 : 2 * rows - 2));
    return out;
}

}  // namespace dnassm::gui
