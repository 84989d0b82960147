// Principal components of row vectors (per-base or pooled embeddings): the covariance {D, D} by
// BLAS, its eigenvectors by LAPACK (ssyev, from OpenBLAS).
#pragma once

#include <cstdint>
#include <vector>

namespace dnassm::gui {

struct Pca {
    std::int64_t dim = 0, k = 0;
    std::vector<float> mean;        // {dim}
    std::vector<float> components;  // {k, dim}, by decreasing variance, sign: largest |coef| > 0
    std::vector<float> variance;    // {k}
    double total_variance = 0;
};

/// Fits the top k components of rows {n, dim} (k clipped to dim).
[[nodiscard]] Pca fit_pca(const float* rows, std::int64_t n, std::int64_t dim, std::int64_t k);

/// Scores of rows {n, dim} on the components: {n, k}.
[[nodiscard]] std::vector<float> project(const Pca& pca, const float* rows, std::int64_t n);

}  // namespace dnassm::gui
