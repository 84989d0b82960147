// Backward of the Hyena long convolution through FFTW (MODELS.md §6.4). Per channel, with
// g = dy ⊙ x0 and all sequences zero-padded to n = 2L: the forward product gives dx0, and the two
// correlations dw = g ⋆ k and dk = g ⋆ w are products with conjugated spectra (the padding keeps
// them linear, as in the forward). The filter gradient of all channels, dk ⊙ modulation, is then
// carried into the basis and the filter projection with two GEMMs, so no sum crosses threads.
#include <cmath>
#include <vector>

#include <cblas.h>

#include "dnassm/thread_pool.h"

#include "../common/fft_size.h"
#include "backward.h"
#include "cpu_ops.h"
#include "fftw_plans.h"

namespace dnassm::cpu {

namespace {

constexpr std::int64_t kChannelGroup = 16;

// out = IFFT(a · b) (conj_a: conj(a) · b) / n, the first L samples.
void multiply_back(const FftPlans& plans,
                   const fftwf_complex* a,
                   const fftwf_complex* b,
                   bool conj_a,
                   std::int64_t nc,
                   fftwf_complex* tmp,
                   float* buf) {
    const float s = conj_a ? -1.0f : 1.0f;
    for (std::int64_t f = 0; f < nc; ++f) {
        const float ar = a[f][0], ai = s * a[f][1];
        tmp[f][0] = ar * b[f][0] - ai * b[f][1];
        tmp[f][1] = ar * b[f][1] + ai * b[f][0];
    }
    fftwf_execute_dft_c2r(plans.c2r, tmp, buf);
}

}  // namespace

void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) {
    const std::int64_t L = a.L, D = a.D, F = a.F, n = long_conv_fft_size(L), nc = n / 2 + 1;
    const FftPlans& plans = fft_plans(n);
    const float scale = 1.0f / static_cast<float>(n);
    const bool want_dk = g.dbasis || g.dfilter_w;
    std::vector<float> dK(want_dk ? static_cast<size_t>(L * D) : 0);
    const std::int64_t n_groups = (D + kChannelGroup - 1) / kChannelGroup;
    parallel_for(n_groups, 1, [&](std::int64_t g0, std::int64_t g1) {
        FftwArray<float> buf(n);
        FftwArray<fftwf_complex> kf(nc), wf(nc), gf(nc), tmp(nc);
        const size_t group_size = static_cast<size_t>(L * kChannelGroup);
        std::vector<float> k(group_size), mod(group_size, 1.0f), wc(group_size), gc(group_size);
        auto transform = [&](const float* x, fftwf_complex* out) {
            std::copy(x, x + L, buf.p);
            std::fill(buf.p + L, buf.p + n, 0.0f);
            fftwf_execute_dft_r2c(plans.r2c, buf.p, out);
        };
        for (std::int64_t grp = g0; grp < g1; ++grp) {
            const std::int64_t d0 = grp * kChannelGroup, G = std::min(kChannelGroup, D - d0);
            // The group's filter columns, channel-major: k[c·L + j].
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(G),
                        static_cast<int>(L), static_cast<int>(F), 1.0f, a.filter_w + d0 * F,
                        static_cast<int>(F), a.basis, static_cast<int>(F), 0.0f, k.data(),
                        static_cast<int>(L));
            if (a.deltas) {
                for (std::int64_t c = 0; c < G; ++c)
                    for (std::int64_t j = 0; j < L; ++j)
                        mod[c * L + j] = -a.t[j] * std::fabs(a.deltas[d0 + c]);
                exp_inplace(mod.data(), L * G);
                for (std::int64_t i = 0; i < L * G; ++i) {
                    mod[i] += a.shift;
                    k[i] *= mod[i];
                }
            }
            for (std::int64_t t = 0; t < L; ++t)
                for (std::int64_t c = 0; c < G; ++c) {
                    const std::int64_t i = t * D + d0 + c;
                    wc[c * L + t] = a.w[i];
                    gc[c * L + t] = g.dy[i] * a.x0[i];
                }
            for (std::int64_t c = 0; c < G; ++c) {
                const std::int64_t d = d0 + c;
                const float* w = wc.data() + c * L;
                const float* gg = gc.data() + c * L;
                const float bias = a.bias[d];
                transform(k.data() + c * L, kf.p);
                transform(w, wf.p);
                if (g.dx0) {
                    multiply_back(plans, kf.p, wf.p, false, nc, tmp.p, buf.p);
                    for (std::int64_t t = 0; t < L; ++t)
                        g.dx0[t * D + d] += g.dy[t * D + d] * (buf.p[t] * scale + bias * w[t]);
                }
                if (g.dbias) {
                    double s = 0.0;
                    for (std::int64_t t = 0; t < L; ++t) s += static_cast<double>(gg[t]) * w[t];
                    g.dbias[d] += static_cast<float>(s);
                }
                if (!g.dw && !want_dk) continue;
                transform(gg, gf.p);
                if (g.dw) {
                    multiply_back(plans, kf.p, gf.p, true, nc, tmp.p, buf.p);
                    for (std::int64_t t = 0; t < L; ++t)
                        g.dw[t * D + d] += buf.p[t] * scale + bias * gg[t];
                }
                if (want_dk) {
                    multiply_back(plans, wf.p, gf.p, true, nc, tmp.p, buf.p);
                    const float* m = mod.data() + c * L;
                    for (std::int64_t j = 0; j < L; ++j) dK[j * D + d] = buf.p[j] * scale * m[j];
                }
            }
        }
    });
    if (g.dbasis)  // dbasis{L, F} += dK{L, D} · filter_w{D, F}
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(L),
                    static_cast<int>(F), static_cast<int>(D), 1.0f, dK.data(), static_cast<int>(D),
                    a.filter_w, static_cast<int>(F), 1.0f, g.dbasis, static_cast<int>(F));
    if (g.dfilter_w)  // dfilter_w{D, F} += dK^T{D, L} · basis{L, F}
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(D),
                    static_cast<int>(F), static_cast<int>(L), 1.0f, dK.data(), static_cast<int>(D),
                    a.basis, static_cast<int>(F), 1.0f, g.dfilter_w, static_cast<int>(F));
}

}  // namespace dnassm::cpu
