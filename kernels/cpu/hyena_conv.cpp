// Hyena long convolution on CPU through FFTW (MODELS.md §1.5.2): per channel, the gated input
// w = v·x1 and the filter k are zero-padded to n = 2L (as the reference's fftconv), multiplied
// in the frequency domain, transformed back and scaled by 1/n: an exact linear causal
// convolution. Channels run on the pool; plans are cached per n (FFTW_ESTIMATE: deterministic).
#include <complex>
#include <map>
#include <memory>
#include <mutex>

#include <fftw3.h>

#include "dnassm/error.h"
#include "dnassm/thread_pool.h"

#include "../common/scalar_math.h"
#include "cpu_ops.h"

namespace dnassm::cpu {

namespace {

struct FftPlans {
    fftwf_plan r2c = nullptr, c2r = nullptr;
};

// Plans are created once per size (planning is not thread-safe in FFTW) and executed with
// new-array execute on per-thread buffers from fftwf_malloc (same alignment as planned).
const FftPlans& plans_for(std::int64_t n) {
    static std::mutex mutex;
    static std::map<std::int64_t, FftPlans> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(n);
    if (it != cache.end()) return it->second;
    float* in = fftwf_alloc_real(static_cast<size_t>(n));
    fftwf_complex* out = fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1));
    FftPlans p;
    p.r2c = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in, out, FFTW_ESTIMATE);
    p.c2r = fftwf_plan_dft_c2r_1d(static_cast<int>(n), out, in, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
    DNASSM_CHECK(p.r2c && p.c2r, ErrorKind::kInternal,
                 "FFTW could not plan size " + std::to_string(n));
    return cache.emplace(n, p).first->second;
}

struct FftBuffers {
    explicit FftBuffers(std::int64_t n)
        : w(fftwf_alloc_real(static_cast<size_t>(n))),
          kf(fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1))),
          wf(fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1))) {
        DNASSM_CHECK(w && kf && wf, ErrorKind::kResource, "out of memory for FFT buffers");
    }
    ~FftBuffers() {
        fftwf_free(w);
        fftwf_free(kf);
        fftwf_free(wf);
    }
    FftBuffers(const FftBuffers&) = delete;
    FftBuffers& operator=(const FftBuffers&) = delete;
    float* w;
    fftwf_complex *kf, *wf;
};

}  // namespace

void hyena_conv(const HyenaConvArgs& a) {
    const std::int64_t L = a.L, D = a.D, n = 2 * L, nc = n / 2 + 1;
    const FftPlans& p = plans_for(n);
    const float scale = 1.0f / static_cast<float>(n);
    parallel_for(D, 8, [&](std::int64_t d0, std::int64_t d1) {
        FftBuffers buf(n);
        for (std::int64_t d = d0; d < d1; ++d) {
            for (std::int64_t t = 0; t < L; ++t) buf.w[t] = a.k[t * D + d];
            std::fill(buf.w + L, buf.w + n, 0.0f);
            fftwf_execute_dft_r2c(p.r2c, buf.w, buf.kf);
            for (std::int64_t t = 0; t < L; ++t)
                buf.w[t] = a.uc[t * a.ld_uc + 2 * D + d] * a.uc[t * a.ld_uc + D + d];
            std::fill(buf.w + L, buf.w + n, 0.0f);
            fftwf_execute_dft_r2c(p.r2c, buf.w, buf.wf);
            for (std::int64_t f = 0; f < nc; ++f) {
                const float re = buf.wf[f][0] * buf.kf[f][0] - buf.wf[f][1] * buf.kf[f][1];
                const float im = buf.wf[f][0] * buf.kf[f][1] + buf.wf[f][1] * buf.kf[f][0];
                buf.wf[f][0] = re;
                buf.wf[f][1] = im;
            }
            fftwf_execute_dft_c2r(p.c2r, buf.wf, buf.w);
            for (std::int64_t t = 0; t < L; ++t) {
                const float* row = a.uc + t * a.ld_uc;
                const float w = row[2 * D + d] * row[D + d];
                a.y[t * a.ld_y + d] = row[d] * (buf.w[t] * scale + a.bias[d] * w);
            }
        }
    });
}

void gelu_tanh_inplace(float* x, std::int64_t n) {
    parallel_for(n, 1 << 15, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) x[i] = math::gelu_tanh(x[i]);
    });
}

}  // namespace dnassm::cpu
