// FFT length of the Hyena long convolution, shared by the CPU (FFTW) and CUDA (cuFFT) paths.
#pragma once

#include <cstdint>

namespace dnassm {

/// FFT length of the exact causal convolution of L samples: 2L, as the reference computes it,
/// when 2L has no prime factor above 7; else the next length that has none. FFTW and cuFFT are
/// several times slower on lengths with a large prime factor (2 · 1,000,002 = 4 · 3 · 166,667, the
/// window of the published 1 Mb HyenaDNA), and any n >= 2L − 1 gives the same linear convolution.
inline std::int64_t long_conv_fft_size(std::int64_t L) {
    for (std::int64_t n = 2 * L;; ++n) {
        std::int64_t m = n;
        for (std::int64_t p : {2, 3, 5, 7})
            while (m % p == 0) m /= p;
        if (m == 1) return n;
    }
}

}  // namespace dnassm
