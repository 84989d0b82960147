// "cpu-ref": naive single-threaded ops with double accumulation, written to read like the
// equations in MODELS.md §2.2. They are the oracle every other backend is tested against.
#include <cmath>
#include <vector>

#include "../common/scalar_math.h"
#include "cpu_ops.h"

namespace dnassm::cpu::ref {

void linear(const LinearArgs& a) {
    for (std::int64_t i = 0; i < a.M; ++i)
        for (std::int64_t j = 0; j < a.N; ++j) {
            double acc = a.bias ? a.bias[j] : 0.0;
            for (std::int64_t k = 0; k < a.K; ++k)
                acc += static_cast<double>(a.x[i * a.ld_x + k]) * a.weight[j * a.K + k];
            float& y = a.y[i * a.ld_y + j];
            y = static_cast<float>(a.accumulate ? y + acc : acc);
        }
}

void norm(const NormArgs& a) {
    for (std::int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.D;
        double mean = 0.0, sq = 0.0;
        if (a.kind == NormKind::kLayer) {
            for (std::int64_t i = 0; i < a.D; ++i) mean += x[i];
            mean /= static_cast<double>(a.D);
        }
        for (std::int64_t i = 0; i < a.D; ++i) sq += (x[i] - mean) * (x[i] - mean);
        const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(a.D) + a.eps);
        for (std::int64_t i = 0; i < a.D; ++i)
            a.y[r * a.D + i] =
                static_cast<float>((x[i] - mean) * rstd * a.weight[i] + (a.bias ? a.bias[i] : 0.0));
    }
}

void causal_conv1d(const CausalConv1dArgs& a) {
    const std::int64_t W = a.W;
    auto input = [&](std::int64_t t, std::int64_t e) -> double {
        if (t >= 0) return a.x[t * a.ld_x + e];
        return a.state ? a.state[e * W + (W + t)] : 0.0;
    };
    std::vector<float> new_state(static_cast<size_t>(a.E * W));
    for (std::int64_t e = 0; e < a.E; ++e)
        for (std::int64_t k = 0; k < W; ++k) new_state[e * W + k] = input(a.L - W + k, e);
    for (std::int64_t t = 0; t < a.L; ++t)
        for (std::int64_t e = 0; e < a.E; ++e) {
            double acc = a.bias ? a.bias[e] : 0.0;
            for (std::int64_t k = 0; k < W; ++k)
                acc += a.weight[e * W + k] * input(t - (W - 1) + k, e);
            a.y[t * a.ld_y + e] = static_cast<float>(a.silu ? math::silu(acc) : acc);
        }
    if (a.state) std::copy(new_state.begin(), new_state.end(), a.state);
}

void selective_scan(const SelectiveScanArgs& a) {
    std::vector<double> s(static_cast<size_t>(a.N));
    for (std::int64_t e = 0; e < a.E; ++e) {
        for (std::int64_t n = 0; n < a.N; ++n) s[n] = a.state ? a.state[e * a.N + n] : 0.0;
        for (std::int64_t t = 0; t < a.L; ++t) {
            double dt = a.delta[t * a.ld_delta + e] + (a.delta_bias ? a.delta_bias[e] : 0.0);
            if (a.delta_softplus) dt = math::softplus(dt);
            const double u = a.u[t * a.ld_u + e];
            double y = a.D ? a.D[e] * u : 0.0;
            for (std::int64_t n = 0; n < a.N; ++n) {
                s[n] = std::exp(dt * a.A[e * a.N + n]) * s[n] + dt * a.B[t * a.ld_B + n] * u;
                y += s[n] * a.C[t * a.ld_C + n];
            }
            if (a.z) y *= math::silu(static_cast<double>(a.z[t * a.ld_z + e]));
            a.y[t * a.ld_y + e] = static_cast<float>(y);
        }
        if (a.state)
            for (std::int64_t n = 0; n < a.N; ++n) a.state[e * a.N + n] = static_cast<float>(s[n]);
    }
}

void hyena_conv(const HyenaConvArgs& a) {
    const std::int64_t D = a.D, L = a.L;
    std::vector<double> k(static_cast<size_t>(L)), w(static_cast<size_t>(L));
    for (std::int64_t d = 0; d < D; ++d) {
        for (std::int64_t j = 0; j < L; ++j) {
            double v = 0;
            for (std::int64_t f = 0; f < a.F; ++f)
                v += static_cast<double>(a.basis[j * a.F + f]) * a.filter_w[d * a.F + f];
            if (a.deltas)
                v *= std::exp(-static_cast<double>(a.t[j]) * std::fabs(a.deltas[d])) + a.shift;
            k[j] = v;
            w[j] = a.w[j * D + d];
        }
        for (std::int64_t t = 0; t < L; ++t) {
            double acc = a.bias[d] * w[t];
            for (std::int64_t j = 0; j <= t; ++j) acc += k[j] * w[t - j];
            a.y[t * D + d] = static_cast<float>(a.x0[t * D + d] * acc);
        }
    }
}

void gelu_tanh_inplace(float* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        x[i] = static_cast<float>(math::gelu_tanh(static_cast<double>(x[i])));
}

void sin_activation(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y) {
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            y[r * cols + c] =
                static_cast<float>(std::sin(static_cast<double>(freq[c]) * x[r * cols + c]));
}

}  // namespace dnassm::cpu::ref
