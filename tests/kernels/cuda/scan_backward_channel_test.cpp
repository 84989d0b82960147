// The per-channel selective-scan backward (kernels/cuda/scan_backward_channel.h), which the CUDA
// kernels run a thread per channel, run here on the CPU chunk by chunk with the chunk carries
// computed around it as the CUDA passes do: every gradient must equal the reference backward's.
// Needs no GPU, so the arithmetic of the CUDA backward is checked on every machine.
#include "cuda/scan_backward_channel.h"

#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/backward.h"
#include "cuda/launch_plan.h"
#include "scan_case.h"
#include "test_util.h"

namespace dnassm {
namespace {

using cuda::ChannelScanBackward;
using test::rand_vec;

// Collects a block's per-step dB/dC contributions and adds them at the end of the block, as the
// CUDA sink does after reducing over channels.
template <int kMaxN>
struct HostSink {
    const SelectiveScanArgs& a;
    const SelectiveScanGrads& g;
    float vb[ChannelScanBackward::kSub][kMaxN] = {}, vc[ChannelScanBackward::kSub][kMaxN] = {};
    void step(int k, const float (&vB)[kMaxN], const float (&vC)[kMaxN]) {
        for (int n = 0; n < kMaxN; ++n) {
            vb[k][n] = vB[n];
            vc[k][n] = vC[n];
        }
    }
    void end_block(std::int64_t tb, int steps) {
        for (int k = 0; k < steps; ++k)
            for (std::int64_t n = 0; n < a.N; ++n) {
                if (g.dB) g.dB[(tb + k) * a.ld_B + n] += vb[k][n];
                if (g.dC) g.dC[(tb + k) * a.ld_C + n] += vc[k][n];
            }
    }
};

// Passes 1-2 of the forward (entry states, decay products), B1, B2 and B3 over chunks of `chunk`.
template <int kMaxN>
void backward_by_channels(const SelectiveScanArgs& a,
                          const SelectiveScanGrads& g,
                          std::int64_t chunk) {
    const std::int64_t L = a.L, E = a.E, N = a.N, n_chunks = (L + chunk - 1) / chunk;
    auto at = [&](std::int64_t c, std::int64_t e) { return static_cast<size_t>((c * E + e) * N); };
    std::vector<float> entry(static_cast<size_t>(n_chunks * E * N)), decay(entry.size()),
        reach(entry.size()), exit_carry(entry.size());
    for (std::int64_t e = 0; e < E; ++e) {
        std::vector<float> s(static_cast<size_t>(N));
        for (std::int64_t n = 0; n < N; ++n) s[n] = a.state ? a.state[e * N + n] : 0.0f;
        const float bias = a.delta_bias ? a.delta_bias[e] : 0.0f;
        for (std::int64_t c = 0; c < n_chunks; ++c) {
            for (std::int64_t n = 0; n < N; ++n) {
                entry[at(c, e) + n] = s[n];
                decay[at(c, e) + n] = 1.0f;
            }
            for (std::int64_t t = c * chunk; t < std::min(L, (c + 1) * chunk); ++t) {
                const auto in = cuda::scan_step_inputs(a, t, e, bias);
                for (std::int64_t n = 0; n < N; ++n) {
                    const float da = std::exp(in.dt * a.A[e * N + n]);
                    s[n] = da * s[n] + in.dt * a.B[t * a.ld_B + n] * in.u;
                    decay[at(c, e) + n] *= da;
                }
            }
            cuda::channel_back_reach<kMaxN>(a, g.dy, e, c * chunk, std::min(L, (c + 1) * chunk),
                                            reach.data() + at(c, e));
        }
        for (std::int64_t n = 0; n < N; ++n) {
            float mu = g.dstate_final ? g.dstate_final[e * N + n] : 0.0f;
            for (std::int64_t c = n_chunks - 1; c >= 0; --c) {
                exit_carry[at(c, e) + n] = mu;
                mu = reach[at(c, e) + n] + decay[at(c, e) + n] * mu;
            }
            if (g.dstate_init) g.dstate_init[e * N + n] += mu;
        }
    }
    for (std::int64_t c = 0; c < n_chunks; ++c)
        for (std::int64_t e = 0; e < E + 1; ++e) {  // one channel past E: must change nothing
            const bool live = e < E;
            HostSink<kMaxN> sink{a, g};
            std::vector<float> dA(static_cast<size_t>(N), 0.0f);
            float dD = 0, dbias = 0;
            cuda::channel_scan_backward<kMaxN>(
                a, g, e, live, c * chunk, std::min(L, (c + 1) * chunk),
                live ? entry.data() + at(c, e) : nullptr,
                live ? exit_carry.data() + at(c, e) : nullptr, dA.data(), &dD, &dbias, sink);
            if (!live) continue;
            for (std::int64_t n = 0; n < N; ++n)
                if (g.dA) g.dA[e * N + n] += dA[static_cast<size_t>(n)];
            if (g.dD) g.dD[e] += dD;
            if (g.ddelta_bias) g.ddelta_bias[e] += dbias;
        }
}

struct Case {
    std::int64_t L, E, N, chunk;
    bool gate;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << "L" << c.L << " E" << c.E << " N" << c.N << " chunk " << c.chunk
        << (c.gate ? " gated" : "");
}

class ChannelScanBackwardTest : public ::testing::TestWithParam<Case> {};

TEST_P(ChannelScanBackwardTest, EqualsTheReferenceBackward) {
    const Case k = GetParam();
    const std::int64_t L = k.L, E = k.E, N = k.N;
    test::Rng rng(L * 7 + E);
    test::ScanCase in(rng, L, E, N);
    const auto dy = rand_vec(rng, L * E, -1, 1), dfinal = rand_vec(rng, E * N, -1, 1);
    SelectiveScanArgs a = in.args;
    if (!k.gate) a.z = nullptr;
    a.state = in.s0.data();
    // Gradients accumulate into the same random starting values on both sides.
    test::Rng init(99), init_ref(99);
    test::ScanGrads mine(L, E, N, &init), ref(L, E, N, &init_ref);
    if (N <= 16)
        backward_by_channels<16>(a, mine.view(dy.data(), dfinal.data()), k.chunk);
    else
        backward_by_channels<32>(a, mine.view(dy.data(), dfinal.data()), k.chunk);
    cpu::ref::selective_scan_backward(a, ref.view(dy.data(), dfinal.data()));
    test::expect_scan_grads_near(mine, ref, 1e-5);
}

// Chunks of one step, of fewer steps than a block, not a multiple of the block, and of the
// plan's size; N below, at and above 16; with and without the gate.
INSTANTIATE_TEST_SUITE_P(Shapes,
                         ChannelScanBackwardTest,
                         ::testing::Values(Case{1, 3, 16, 64, true},
                                           Case{37, 5, 16, 7, true},
                                           Case{100, 4, 5, 40, false},
                                           Case{300, 3, 32, 33, true},
                                           Case{1100, 2, 16, 512, true},
                                           Case{700, 3, 20, 64, false}),
                         [](const auto& pinfo) {
                             const Case& c = pinfo.param;
                             std::string name;
                             for (const auto& [key, v] : {std::pair{"L", c.L},
                                                          {"_E", c.E},
                                                          {"_N", c.N},
                                                          {"_chunk", c.chunk}}) {
                                 name += key;
                                 name += std::to_string(v);
                             }
                             if (c.gate) name += "_gated";
                             return name;
                         });

}  // namespace
}  // namespace dnassm
