// FFTW plans cached per transform size, and FFTW-aligned buffers, shared by the Hyena long
// convolution and its backward pass.
#pragma once

#include <cstdint>

#include <fftw3.h>

#include "dnassm/error.h"

namespace dnassm::cpu {

struct FftPlans {
    fftwf_plan r2c = nullptr, c2r = nullptr;
};

/// Real-to-complex and back plans of size n (FFTW_ESTIMATE: the same plan, and the same numbers,
/// every run). Planning is serialised; executing the plans on other FftwArray buffers is
/// thread-safe.
const FftPlans& fft_plans(std::int64_t n);

template <typename T>
struct FftwArray {
    explicit FftwArray(std::int64_t count)
        : p(static_cast<T*>(fftwf_malloc(sizeof(T) * static_cast<size_t>(count)))) {
        DNASSM_CHECK(p, ErrorKind::kResource, "out of memory for FFT buffers");
    }
    ~FftwArray() { fftwf_free(p); }
    FftwArray(const FftwArray&) = delete;
    FftwArray& operator=(const FftwArray&) = delete;
    T* p;
};

}  // namespace dnassm::cpu
