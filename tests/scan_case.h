// Random inputs of a selective scan (SelectiveScanArgs) shared by the scan tests: softplus with a
// bias (one step on its identity branch), D skip, SiLU(z) gate and an initial state s0 (args
// leaves state and y for each test to set); and the gradient buffers of its backward.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/backend.h"

#include "test_util.h"

namespace dnassm::test {

struct ScanCase {
    ScanCase(Rng& rng, std::int64_t L, std::int64_t E, std::int64_t N)
        : u(rand_vec(rng, L * E, -2, 2)),
          dt(rand_vec(rng, L * E, -4, 1)),
          z(rand_vec(rng, L * E, -3, 3)),
          A(rand_vec(rng, E * N, -8, -0.5)),
          B(rand_vec(rng, L * N, -1, 1)),
          C(rand_vec(rng, L * N, -1, 1)),
          D(rand_vec(rng, E, 0.5, 1.5)),
          bias(rand_vec(rng, E, -3, 0)),
          s0(rand_vec(rng, E * N, -0.5, 0.5)) {
        dt[0] = 30.0f;  // softplus identity branch
        args = {.L = L,
                .E = E,
                .N = N,
                .u = u.data(),
                .ld_u = E,
                .delta = dt.data(),
                .ld_delta = E,
                .A = A.data(),
                .B = B.data(),
                .ld_B = N,
                .C = C.data(),
                .ld_C = N,
                .D = D.data(),
                .delta_bias = bias.data(),
                .delta_softplus = true,
                .z = z.data(),
                .ld_z = E,
                .ld_y = E};
    }
    ScanCase(const ScanCase&) = delete;  // args points into the vectors
    ScanCase& operator=(const ScanCase&) = delete;

    std::vector<float> u, dt, z, A, B, C, D, bias, s0;
    SelectiveScanArgs args;
};

/// The gradient outputs of a scan backward: zeros, or random starting values from `init` (the
/// backward accumulates, so "+=" is checked too).
struct ScanGrads {
    ScanGrads(std::int64_t L, std::int64_t E, std::int64_t N, Rng* init = nullptr) {
        auto make = [&](std::int64_t n) {
            return init ? rand_vec(*init, n, -1, 1) : std::vector<float>(static_cast<size_t>(n));
        };
        du = make(L * E);
        ddelta = make(L * E);
        dz = make(L * E);
        dA = make(E * N);
        dB = make(L * N);
        dC = make(L * N);
        dD = make(E);
        dbias = make(E);
        dinit = make(E * N);
    }
    SelectiveScanGrads view(const float* dy, const float* dstate_final) {
        return {.dy = dy,
                .dstate_final = dstate_final,
                .du = du.data(),
                .ddelta = ddelta.data(),
                .dz = dz.data(),
                .dA = dA.data(),
                .dB = dB.data(),
                .dC = dC.data(),
                .dD = dD.data(),
                .ddelta_bias = dbias.data(),
                .dstate_init = dinit.data()};
    }
    /// Every output with its name, in a fixed order (for comparing two runs).
    [[nodiscard]] std::vector<std::pair<const char*, const std::vector<float>*>> named() const {
        return {{"du", &du},
                {"ddelta", &ddelta},
                {"dz", &dz},
                {"dA", &dA},
                {"dB", &dB},
                {"dC", &dC},
                {"dD", &dD},
                {"ddelta_bias", &dbias},
                {"dstate_init", &dinit}};
    }
    std::vector<float> du, ddelta, dz, dA, dB, dC, dD, dbias, dinit;
};

/// Each gradient of `got` within `tol` (relative L2) of `want`'s.
inline void expect_scan_grads_near(const ScanGrads& got, const ScanGrads& want, double tol) {
    const auto g = got.named(), w = want.named();
    for (size_t i = 0; i < g.size(); ++i)
        EXPECT_LE(rel_l2(g[i].second->data(), w[i].second->data(),
                         static_cast<std::int64_t>(w[i].second->size())),
                  tol)
            << g[i].first;
}

}  // namespace dnassm::test
