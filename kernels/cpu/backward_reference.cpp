// Reference backward passes (MODELS.md §4.3 for the scan). Double precision throughout.
#include <cmath>
#include <vector>

#include "../common/scalar_math.h"
#include "backward.h"

namespace dnassm::cpu::ref {

using math::sigmoid;
using math::softplus;

void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) {
    const std::int64_t L = a.L, E = a.E, N = a.N;
    std::vector<double> s(static_cast<size_t>((L + 1) * N)), lam(static_cast<size_t>(N));
    std::vector<double> delta(static_cast<size_t>(L)), y(static_cast<size_t>(L));
    for (std::int64_t e = 0; e < E; ++e) {
        // Forward recompute: s[t+1] = state after step t; s[0] = initial state.
        for (std::int64_t n = 0; n < N; ++n) s[n] = a.state ? a.state[e * N + n] : 0.0;
        const double bias = a.delta_bias ? a.delta_bias[e] : 0.0, Dd = a.D ? a.D[e] : 0.0;
        for (std::int64_t t = 0; t < L; ++t) {
            const double raw = a.delta[t * a.ld_delta + e] + bias;
            delta[t] = a.delta_softplus ? softplus(raw) : raw;
            const double u = a.u[t * a.ld_u + e];
            double yt = Dd * u;
            for (std::int64_t n = 0; n < N; ++n) {
                const double st = std::exp(delta[t] * a.A[e * N + n]) * s[t * N + n] +
                                  delta[t] * a.B[t * a.ld_B + n] * u;
                s[(t + 1) * N + n] = st;
                yt += a.C[t * a.ld_C + n] * st;
            }
            y[t] = yt;
        }
        // Reverse sweep: λ_t = C_t g_t + a_{t+1} λ_{t+1}, seeded with the final-state gradient.
        for (std::int64_t n = 0; n < N; ++n)
            lam[n] = g.dstate_final ? g.dstate_final[e * N + n] : 0.0;
        double dD = 0.0, dbias = 0.0;
        for (std::int64_t t = L - 1; t >= 0; --t) {
            const double u = a.u[t * a.ld_u + e], dout = g.dy[t * a.ld_y + e];
            double gt = dout;
            if (a.z) {
                const double z = a.z[t * a.ld_z + e], sz = sigmoid(z);
                gt = dout * z * sz;
                if (g.dz)
                    g.dz[t * a.ld_z + e] +=
                        static_cast<float>(dout * y[t] * sz * (1.0 + z * (1.0 - sz)));
            }
            double du = Dd * gt, dd = 0.0;
            dD += gt * u;
            for (std::int64_t n = 0; n < N; ++n) {
                const double An = a.A[e * N + n], at = std::exp(delta[t] * An);
                const double Bt = a.B[t * a.ld_B + n], Ct = a.C[t * a.ld_C + n];
                lam[n] += Ct * gt;  // now λ_t
                const double prev = s[t * N + n];
                du += lam[n] * delta[t] * Bt;
                dd += lam[n] * (Bt * u + An * at * prev);
                if (g.dA) g.dA[e * N + n] += static_cast<float>(lam[n] * delta[t] * at * prev);
                if (g.dB) g.dB[t * a.ld_B + n] += static_cast<float>(lam[n] * delta[t] * u);
                if (g.dC) g.dC[t * a.ld_C + n] += static_cast<float>(gt * s[(t + 1) * N + n]);
                lam[n] *= at;  // a_t λ_t, the carry into step t-1
            }
            if (g.du) g.du[t * a.ld_u + e] += static_cast<float>(du);
            const double raw = a.delta[t * a.ld_delta + e] + bias;
            const double draw = a.delta_softplus && raw <= 20.0 ? dd * sigmoid(raw) : dd;
            if (g.ddelta) g.ddelta[t * a.ld_delta + e] += static_cast<float>(draw);
            dbias += draw;
        }
        if (g.dD) g.dD[e] += static_cast<float>(dD);
        if (g.ddelta_bias) g.ddelta_bias[e] += static_cast<float>(dbias);
        if (g.dstate_init)
            for (std::int64_t n = 0; n < N; ++n)
                g.dstate_init[e * N + n] += static_cast<float>(lam[n]);
    }
}

void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) {
    const std::int64_t W = a.W;
    auto input = [&](std::int64_t t, std::int64_t e) -> double {
        if (t >= 0) return a.x[t * a.ld_x + e];
        return a.state ? a.state[e * W + (W + t)] : 0.0;
    };
    for (std::int64_t t = 0; t < a.L; ++t)
        for (std::int64_t e = 0; e < a.E; ++e) {
            double pre = a.bias ? a.bias[e] : 0.0;
            for (std::int64_t k = 0; k < W; ++k)
                pre += a.weight[e * W + k] * input(t - (W - 1) + k, e);
            double d = g.dy[t * a.ld_y + e];
            if (a.silu) {
                const double sg = sigmoid(pre);
                d *= sg * (1.0 + pre * (1.0 - sg));
            }
            if (g.dbias) g.dbias[e] += static_cast<float>(d);
            for (std::int64_t k = 0; k < W; ++k) {
                const std::int64_t src = t - (W - 1) + k;
                if (g.dweight) g.dweight[e * W + k] += static_cast<float>(d * input(src, e));
                if (src >= 0) {
                    if (g.dx) g.dx[src * a.ld_x + e] += static_cast<float>(d * a.weight[e * W + k]);
                } else if (g.dstate_init) {
                    g.dstate_init[e * W + (W + src)] += static_cast<float>(d * a.weight[e * W + k]);
                }
            }
        }
}

void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) {
    const std::int64_t L = a.L, D = a.D, F = a.F;
    std::vector<double> k(static_cast<size_t>(L)), m(static_cast<size_t>(L)),
        gg(static_cast<size_t>(L)), dk(static_cast<size_t>(L));
    for (std::int64_t d = 0; d < D; ++d) {
        for (std::int64_t j = 0; j < L; ++j) {
            double v = 0;
            for (std::int64_t f = 0; f < F; ++f)
                v += static_cast<double>(a.basis[j * F + f]) * a.filter_w[d * F + f];
            m[j] = a.deltas
                       ? std::exp(-static_cast<double>(a.t[j]) * std::fabs(a.deltas[d])) + a.shift
                       : 1.0;
            k[j] = v * m[j];
        }
        auto w = [&](std::int64_t t) { return static_cast<double>(a.w[t * D + d]); };
        double dbias = 0;
        for (std::int64_t t = 0; t < L; ++t) {
            double conv = a.bias[d] * w(t);
            for (std::int64_t j = 0; j <= t; ++j) conv += k[j] * w(t - j);
            const double dy = g.dy[t * D + d];
            if (g.dx0) g.dx0[t * D + d] += static_cast<float>(dy * conv);
            gg[t] = dy * a.x0[t * D + d];
            dbias += gg[t] * w(t);
        }
        if (g.dbias) g.dbias[d] += static_cast<float>(dbias);
        for (std::int64_t t = 0; t < L; ++t) {
            if (g.dw) {
                double acc = a.bias[d] * gg[t];
                for (std::int64_t s = t; s < L; ++s) acc += gg[s] * k[s - t];
                g.dw[t * D + d] += static_cast<float>(acc);
            }
            double acc = 0;
            for (std::int64_t s = t; s < L; ++s) acc += gg[s] * w(s - t);
            dk[t] = acc * m[t];  // through the modulation: d(basis·fw) = dk · m
        }
        for (std::int64_t j = 0; j < L; ++j)
            for (std::int64_t f = 0; f < F; ++f) {
                if (g.dbasis)
                    g.dbasis[j * F + f] += static_cast<float>(dk[j] * a.filter_w[d * F + f]);
                if (g.dfilter_w)
                    g.dfilter_w[d * F + f] += static_cast<float>(dk[j] * a.basis[j * F + f]);
            }
    }
}

void gelu_tanh_backward(const float* x_in, const float* dy, float* dx, std::int64_t n) {
    constexpr double c = 0.7978845608028654, k3 = 0.044715;
    for (std::int64_t i = 0; i < n; ++i) {
        const double x = x_in[i], u = c * (x + k3 * x * x * x), th = std::tanh(u);
        const double grad =
            0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * c * (1.0 + 3.0 * k3 * x * x);
        dx[i] += static_cast<float>(dy[i] * grad);
    }
}

void linear_backward(
    const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) {
    for (std::int64_t i = 0; i < a.M; ++i)
        for (std::int64_t j = 0; j < a.N; ++j) {
            const double d = dy[i * a.ld_y + j];
            if (dbias) dbias[j] += static_cast<float>(d);
            for (std::int64_t k = 0; k < a.K; ++k) {
                if (dx) dx[i * a.ld_x + k] += static_cast<float>(d * a.weight[j * a.K + k]);
                if (dweight) dweight[j * a.K + k] += static_cast<float>(d * a.x[i * a.ld_x + k]);
            }
        }
}

void norm_backward(const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) {
    const std::int64_t D = a.D;
    std::vector<double> xhat(static_cast<size_t>(D)), gx(static_cast<size_t>(D));
    for (std::int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * D;
        const float* d = dy + r * D;
        double mean = 0.0, sq = 0.0;
        if (a.kind == NormKind::kLayer) {
            for (std::int64_t i = 0; i < D; ++i) mean += x[i];
            mean /= static_cast<double>(D);
        }
        for (std::int64_t i = 0; i < D; ++i) sq += (x[i] - mean) * (x[i] - mean);
        const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(D) + a.eps);
        double sum_g = 0.0, sum_gx = 0.0;
        for (std::int64_t i = 0; i < D; ++i) {
            xhat[i] = (x[i] - mean) * rstd;
            gx[i] = d[i] * a.weight[i];
            sum_g += gx[i];
            sum_gx += gx[i] * xhat[i];
            if (dweight) dweight[i] += static_cast<float>(d[i] * xhat[i]);
            if (dbias) dbias[i] += static_cast<float>(d[i]);
        }
        if (!dx) continue;
        const double inv_d = 1.0 / static_cast<double>(D);
        for (std::int64_t i = 0; i < D; ++i) {
            const double v = a.kind == NormKind::kLayer
                                 ? rstd * (gx[i] - inv_d * sum_g - xhat[i] * inv_d * sum_gx)
                                 : rstd * (gx[i] - xhat[i] * inv_d * sum_gx);
            dx[r * D + i] += static_cast<float>(v);
        }
    }
}

}  // namespace dnassm::cpu::ref
