// Hyena long convolution on CPU through FFTW (MODELS.md §1.5.2): channels are processed in
// groups; for a group the filter columns are evaluated from the implicit-MLP basis with one
// GEMM and modulated, then per channel the gated input and the filter are zero-padded to
// n = long_conv_fft_size(L) (2L as the reference's fftconv, unless 2L has a prime factor above
// 7), multiplied in the frequency domain, transformed back and
// scaled by 1/n: an exact linear causal convolution. Groups run on the pool; plans are cached
// per n (FFTW_ESTIMATE, so the same plan, and the same numbers, every run). The filter's
// spectrum can be handed back, and taken from an earlier call of the same L (HyenaConvArgs).
#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include <cblas.h>

#include "dnassm/error.h"
#include "dnassm/thread_pool.h"

#include "../common/fft_size.h"
#include "../common/scalar_math.h"
#include "cpu_ops.h"
#include "fftw_plans.h"

namespace dnassm::cpu {

namespace {

constexpr std::int64_t kChannelGroup = 16;

}  // namespace

const FftPlans& fft_plans(std::int64_t n) {
    static std::mutex mutex;
    // Plans live as long as the process: never destroyed, so no exit-time destructor frees the
    // map while FFTW still owns the plans (LeakSanitizer would call them lost).
    static auto& cache = *new std::map<std::int64_t, FftPlans>;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(n);
    if (it != cache.end()) return it->second;
    float* in = fftwf_alloc_real(static_cast<size_t>(n));
    fftwf_complex* out = fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1));
    DNASSM_CHECK(in && out, ErrorKind::kResource, "out of memory planning an FFT");
    FftPlans p;
    p.r2c = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in, out, FFTW_ESTIMATE);
    p.c2r = fftwf_plan_dft_c2r_1d(static_cast<int>(n), out, in, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
    DNASSM_CHECK(p.r2c && p.c2r, ErrorKind::kInternal,
                 "FFTW could not plan size " + std::to_string(n));
    return cache.emplace(n, p).first->second;
}

void hyena_conv(const HyenaConvArgs& a) {
    const std::int64_t L = a.L, D = a.D, F = a.F, n = long_conv_fft_size(L), nc = n / 2 + 1;
    const FftPlans& plans = fft_plans(n);
    const float scale = 1.0f / static_cast<float>(n);
    // A spectrum from an earlier call replaces the filter's GEMM, modulation and FFT.
    const auto* kept = reinterpret_cast<const fftwf_complex*>(a.spectrum);
    fftwf_complex* out_spectrum = nullptr;
    if (!kept && a.spectrum_out) {
        a.spectrum_out->resize(static_cast<size_t>(D * nc * 2));
        out_spectrum = reinterpret_cast<fftwf_complex*>(a.spectrum_out->data());
    }
    // Smaller groups for long windows keep the per-thread buffers (2·L·group floats) small.
    const std::int64_t group = L >= (1 << 18) ? kChannelGroup / 2 : kChannelGroup;
    const std::int64_t n_groups = (D + group - 1) / group;
    parallel_for(n_groups, 1, [&](std::int64_t g0, std::int64_t g1) {
        FftwArray<float> buf(n);
        FftwArray<fftwf_complex> kf(nc), wf(nc);
        std::vector<float> k(kept ? 0 : static_cast<size_t>(L * group)),
            wg(static_cast<size_t>(L * group));
        for (std::int64_t g = g0; g < g1; ++g) {
            const std::int64_t d0 = g * group, G = std::min(group, D - d0);
            if (!kept) {
                // k{L, G} = basis{L, F} · filter_w[d0 : d0 + G]^T, then the exponential
                // modulation.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(L),
                            static_cast<int>(G), static_cast<int>(F), 1.0f, a.basis,
                            static_cast<int>(F), a.filter_w + d0 * F, static_cast<int>(F), 0.0f,
                            k.data(), static_cast<int>(G));
                if (a.deltas) {  // wg holds the modulation until it is needed for the inputs
                    for (std::int64_t j = 0; j < L; ++j)
                        for (std::int64_t c = 0; c < G; ++c)
                            wg[j * G + c] = -a.t[j] * std::fabs(a.deltas[d0 + c]);
                    exp_inplace(wg.data(), L * G);
                    for (std::int64_t i = 0; i < L * G; ++i) k[i] *= wg[i] + a.shift;
                }
            }
            // Gather the group's gated inputs channel-major (one cache line per row instead of
            // one strided load per channel and row), convolve, then scatter the results back.
            for (std::int64_t t = 0; t < L; ++t)
                for (std::int64_t c = 0; c < G; ++c) wg[c * L + t] = a.w[t * D + d0 + c];
            for (std::int64_t c = 0; c < G; ++c) {
                const fftwf_complex* kc = kept ? kept + (d0 + c) * nc : kf.p;
                if (!kept) {
                    for (std::int64_t j = 0; j < L; ++j) buf.p[j] = k[j * G + c];
                    std::fill(buf.p + L, buf.p + n, 0.0f);
                    fftwf_execute_dft_r2c(plans.r2c, buf.p, kf.p);
                    if (out_spectrum)
                        std::copy(kf.p[0], kf.p[0] + 2 * nc, out_spectrum[(d0 + c) * nc]);
                }
                std::copy(wg.data() + c * L, wg.data() + (c + 1) * L, buf.p);
                std::fill(buf.p + L, buf.p + n, 0.0f);
                fftwf_execute_dft_r2c(plans.r2c, buf.p, wf.p);
                for (std::int64_t f = 0; f < nc; ++f) {
                    const float re = wf.p[f][0] * kc[f][0] - wf.p[f][1] * kc[f][1];
                    const float im = wf.p[f][0] * kc[f][1] + wf.p[f][1] * kc[f][0];
                    wf.p[f][0] = re;
                    wf.p[f][1] = im;
                }
                fftwf_execute_dft_c2r(plans.c2r, wf.p, buf.p);
                float* out =
                    wg.data() + c * L;  // reuse: conv + skip term, still without the x0 gate
                for (std::int64_t t = 0; t < L; ++t)
                    out[t] = buf.p[t] * scale + a.bias[d0 + c] * out[t];
            }
            for (std::int64_t t = 0; t < L; ++t)
                for (std::int64_t c = 0; c < G; ++c)
                    a.y[t * D + d0 + c] = a.x0[t * D + d0 + c] * wg[c * L + t];
        }
    });
}

}  // namespace dnassm::cpu
