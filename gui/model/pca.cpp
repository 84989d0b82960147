#include "pca.h"

#include <algorithm>
#include <cmath>

#include <cblas.h>

#include "dnassm/error.h"

extern "C" void ssyev_(const char* jobz,
                       const char* uplo,
                       const int* n,
                       float* a,
                       const int* lda,
                       float* w,
                       float* work,
                       const int* lwork,
                       int* info);

namespace dnassm::gui {

Pca fit_pca(const float* rows, std::int64_t n, std::int64_t dim, std::int64_t k) {
    DNASSM_CHECK(n >= 1 && dim >= 1, ErrorKind::kInput, "PCA of an empty matrix");
    Pca p;
    p.dim = dim;
    p.k = std::min(k, dim);
    p.mean.assign(static_cast<size_t>(dim), 0.0f);
    std::vector<double> mean(static_cast<size_t>(dim), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t d = 0; d < dim; ++d) mean[static_cast<size_t>(d)] += rows[i * dim + d];
    for (std::int64_t d = 0; d < dim; ++d)
        p.mean[static_cast<size_t>(d)] =
            static_cast<float>(mean[static_cast<size_t>(d)] / static_cast<double>(n));
    std::vector<float> centred(static_cast<size_t>(n * dim));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t d = 0; d < dim; ++d)
            centred[static_cast<size_t>(i * dim + d)] =
                rows[i * dim + d] - p.mean[static_cast<size_t>(d)];
    std::vector<float> cov(static_cast<size_t>(dim * dim));
    const int D = static_cast<int>(dim);
    cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, D, static_cast<int>(n),
                1.0f / static_cast<float>(std::max<std::int64_t>(n - 1, 1)), centred.data(), D,
                0.0f, cov.data(), D);
    std::vector<float> w(static_cast<size_t>(dim));
    int lwork = -1, info = 0;
    float query = 0;
    ssyev_("V", "U", &D, cov.data(), &D, w.data(), &query, &lwork, &info);
    lwork = static_cast<int>(query);
    std::vector<float> work(static_cast<size_t>(std::max(lwork, 1)));
    ssyev_("V", "U", &D, cov.data(), &D, w.data(), work.data(), &lwork, &info);
    DNASSM_CHECK(info == 0, ErrorKind::kInternal,
                 "LAPACK ssyev failed (info " + std::to_string(info) + ")");
    for (float v : w) p.total_variance += std::max(0.0f, v);
    // ssyev orders eigenvalues ascending; column j of cov is eigenvector j.
    for (std::int64_t c = 0; c < p.k; ++c) {
        const std::int64_t j = dim - 1 - c;
        const float* vec = cov.data() + j * dim;
        std::int64_t big = 0;
        for (std::int64_t d = 1; d < dim; ++d)
            if (std::fabs(vec[d]) > std::fabs(vec[big])) big = d;
        const float sign = vec[big] < 0 ? -1.0f : 1.0f;
        for (std::int64_t d = 0; d < dim; ++d) p.components.push_back(sign * vec[d]);
        p.variance.push_back(std::max(0.0f, w[static_cast<size_t>(j)]));
    }
    return p;
}

std::vector<float> project(const Pca& p, const float* rows, std::int64_t n) {
    std::vector<float> out(static_cast<size_t>(n * p.k));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < p.k; ++c) {
            double s = 0;
            for (std::int64_t d = 0; d < p.dim; ++d)
                s += static_cast<double>(rows[i * p.dim + d] - p.mean[static_cast<size_t>(d)]) *
                     p.components[static_cast<size_t>(c * p.dim + d)];
            out[static_cast<size_t>(i * p.k + c)] = static_cast<float>(s);
        }
    return out;
}

}  // namespace dnassm::gui
