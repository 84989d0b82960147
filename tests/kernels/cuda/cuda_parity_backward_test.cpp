// CUDA backend parity of the backward ops (issue C2): each against the CPU op on the shapes of
// cuda_parity_ops_test.cpp, outputs accumulated into random starting values so "+=" is checked
// too, and the scan backward over many segments.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "cuda/launch_plan.h"
#include "cuda_parity.h"

namespace dnassm {
namespace {

using test::CudaParity;
using test::GradPair;
using test::Guarded;
using test::HyenaCase;
using test::rand_vec;

TEST_P(CudaParity, LinearBackward) {
    const std::int64_t M = s.L, K = s.E, N = 2 * s.E + 3, ld_x = K + 2, ld_y = N + 5;
    auto x = rand_vec(rng, M * ld_x, -1, 1), w = rand_vec(rng, N * K, -1, 1),
         dy = rand_vec(rng, M * ld_y, -1, 1);
    GradPair dx(rng, M * ld_x), dw(rng, N * K), db(rng, N);
    LinearArgs a{
        .M = M, .K = K, .N = N, .x = x.data(), .ld_x = ld_x, .weight = w.data(), .ld_y = ld_y};
    gpu->linear_backward(a, dy.data(), dx.gpu.data(), dw.gpu.data(), db.gpu.data());
    cpu->linear_backward(a, dy.data(), dx.cpu.data(), dw.cpu.data(), db.cpu.data());
    dx.expect_near("dx");
    dw.expect_near("dweight");
    db.expect_near("dbias");
    // Padding between rows of dx is left alone.
    for (std::int64_t r = 0; r < M; ++r)
        for (std::int64_t c = K; c < ld_x; ++c)
            ASSERT_EQ(dx.gpu.data()[r * ld_x + c], dx.cpu.data()[r * ld_x + c]);
    // Only some outputs wanted.
    GradPair dx2(rng, M * ld_x);
    gpu->linear_backward(a, dy.data(), dx2.gpu.data(), nullptr, nullptr);
    cpu->linear_backward(a, dy.data(), dx2.cpu.data(), nullptr, nullptr);
    dx2.expect_near("dx alone");
}

// Autocast (set_bf16_gemms): cuBLAS bf16 GEMMs (tensor cores, fp32 sums) against the CPU's fp32
// GEMMs of the same rounded inputs; much closer to those than to unrounded fp32.
TEST_P(CudaParity, LinearAndBackwardUnderBf16Autocast) {
    const std::int64_t M = s.L, K = s.E, N = 2 * s.E + 3, ld_x = K + 2, ld_y = N + 5;
    auto x = rand_vec(rng, M * ld_x, -1, 1), w = rand_vec(rng, N * K, -1, 1),
         b = rand_vec(rng, N, -1, 1), dy = rand_vec(rng, M * ld_y, -1, 1);
    auto cpu32 = make_backend("cpu");
    gpu->set_bf16_gemms(true);
    cpu->set_bf16_gemms(true);
    const LinearArgs a{.M = M,
                       .K = K,
                       .N = N,
                       .x = x.data(),
                       .ld_x = ld_x,
                       .weight = w.data(),
                       .bias = b.data(),
                       .ld_y = ld_y};
    Guarded y(M * ld_y), y_ref(M * ld_y), y32(M * ld_y);
    LinearArgs o = a;
    o.y = y.data();
    gpu->linear(o);
    o.y = y_ref.data();
    cpu->linear(o);
    o.y = y32.data();
    cpu32->linear(o);
    EXPECT_TRUE(y.intact());
    const double err = test::rel_l2(y.data(), y_ref.data(), M * ld_y);
    EXPECT_LE(err, 1e-3);
    if (M * K > 1000) {
        EXPECT_LT(err, 0.1 * test::rel_l2(y.data(), y32.data(), M * ld_y));
    }
    GradPair dx(rng, M * ld_x), dw(rng, N * K), db(rng, N);
    gpu->linear_backward(a, dy.data(), dx.gpu.data(), dw.gpu.data(), db.gpu.data());
    cpu->linear_backward(a, dy.data(), dx.cpu.data(), dw.cpu.data(), db.cpu.data());
    EXPECT_LE(test::rel_l2(dx.gpu.data(), dx.cpu.data(), M * ld_x), 1e-3);
    EXPECT_LE(test::rel_l2(dw.gpu.data(), dw.cpu.data(), N * K), 1e-3);
    db.expect_near("dbias (fp32 sums)");
    gpu->set_bf16_gemms(false);
    cpu->set_bf16_gemms(false);
}

TEST_P(CudaParity, NormBackward) {
    const std::int64_t R = s.L, D = s.E;
    auto x = rand_vec(rng, R * D, -2, 2), w = rand_vec(rng, D, 0.5, 1.5),
         b = rand_vec(rng, D, -1, 1), dy = rand_vec(rng, R * D, -1, 1);
    for (NormKind kind : {NormKind::kRms, NormKind::kLayer}) {
        const bool layer = kind == NormKind::kLayer;
        GradPair dx(rng, R * D), dw(rng, D), db(rng, D);
        NormArgs a{.kind = kind,
                   .rows = R,
                   .D = D,
                   .x = x.data(),
                   .weight = w.data(),
                   .bias = layer ? b.data() : nullptr,
                   .eps = 1e-5f};
        gpu->norm_backward(a, dy.data(), dx.gpu.data(), dw.gpu.data(),
                           layer ? db.gpu.data() : nullptr);
        cpu->norm_backward(a, dy.data(), dx.cpu.data(), dw.cpu.data(),
                           layer ? db.cpu.data() : nullptr);
        dx.expect_near("dx");
        dw.expect_near("dweight");
        db.expect_near("dbias");
    }
}

TEST_P(CudaParity, CausalConvBackward) {
    const std::int64_t L = s.L, E = s.E, W = 4;
    auto x = rand_vec(rng, L * 2 * E, -1, 1), w = rand_vec(rng, E * W, -1, 1),
         b = rand_vec(rng, E, -1, 1), st0 = rand_vec(rng, E * W, -1, 1),
         dy = rand_vec(rng, L * E, -1, 1);
    for (bool silu : {true, false}) {
        GradPair dx(rng, L * 2 * E), dw(rng, E * W), db(rng, E), dst(rng, E * W);
        CausalConv1dArgs a{.L = L,
                           .E = E,
                           .W = W,
                           .x = x.data(),
                           .ld_x = 2 * E,
                           .weight = w.data(),
                           .bias = b.data(),
                           .state = st0.data(),
                           .silu = silu,
                           .ld_y = E};
        auto grads = [&](bool on_gpu) {
            return CausalConv1dGrads{.dy = dy.data(),
                                     .dx = dx.on(on_gpu),
                                     .dweight = dw.on(on_gpu),
                                     .dbias = db.on(on_gpu),
                                     .dstate_init = dst.on(on_gpu)};
        };
        gpu->causal_conv1d_backward(a, grads(true));
        cpu->causal_conv1d_backward(a, grads(false));
        dx.expect_near("dx");
        dw.expect_near("dweight");
        db.expect_near("dbias");
        dst.expect_near("dstate_init");
    }
}

TEST_P(CudaParity, SelectiveScanBackward) {
    const std::int64_t L = s.L, E = s.E, N = s.N, ld = E + 3, ldbc = 2 * N + 1;
    auto u = rand_vec(rng, L * ld, -2, 2), dt = rand_vec(rng, L * ld, -4, 1),
         z = rand_vec(rng, L * ld, -3, 3), dy = rand_vec(rng, L * E, -1, 1);
    auto A = rand_vec(rng, E * N, -8, -0.5), BC = rand_vec(rng, L * ldbc, -1, 1);
    auto D = rand_vec(rng, E, 0.5, 1.5), bias = rand_vec(rng, E, -3, 0),
         s0 = rand_vec(rng, E * N, -0.5, 0.5), ds_final = rand_vec(rng, E * N, -0.5, 0.5);
    dt[0] = 30.0f;  // softplus identity branch
    for (bool gated : {true, false}) {
        // B and C interleaved in one buffer (as x_proj's output), so their gradients are too.
        GradPair du(rng, L * ld), ddt(rng, L * ld), dz(rng, L * ld), dA(rng, E * N),
            dBC(rng, L * ldbc), dD(rng, E), dbias(rng, E), ds0(rng, E * N);
        SelectiveScanArgs a{.L = L,
                            .E = E,
                            .N = N,
                            .u = u.data(),
                            .ld_u = ld,
                            .delta = dt.data(),
                            .ld_delta = ld,
                            .A = A.data(),
                            .B = BC.data(),
                            .ld_B = ldbc,
                            .C = BC.data() + N,
                            .ld_C = ldbc,
                            .D = D.data(),
                            .delta_bias = bias.data(),
                            .delta_softplus = true,
                            .z = gated ? z.data() : nullptr,
                            .ld_z = ld,
                            .state = s0.data(),
                            .ld_y = E};
        auto grads = [&](bool on_gpu) {
            return SelectiveScanGrads{.dy = dy.data(),
                                      .dstate_final = ds_final.data(),
                                      .du = du.on(on_gpu),
                                      .ddelta = ddt.on(on_gpu),
                                      .dz = gated ? dz.on(on_gpu) : nullptr,
                                      .dA = dA.on(on_gpu),
                                      .dB = dBC.on(on_gpu),
                                      .dC = dBC.on(on_gpu) + N,
                                      .dD = dD.on(on_gpu),
                                      .ddelta_bias = dbias.on(on_gpu),
                                      .dstate_init = ds0.on(on_gpu)};
        };
        gpu->selective_scan_backward(a, grads(true));
        cpu->selective_scan_backward(a, grads(false));
        du.expect_near("du");
        ddt.expect_near("ddelta");
        dz.expect_near("dz");
        dA.expect_near("dA");
        dBC.expect_near("dB, dC");
        dD.expect_near("dD");
        dbias.expect_near("ddelta_bias");
        ds0.expect_near("dstate_init");
    }
}

TEST_P(CudaParity, HyenaFftConvBackward) {
    const std::int64_t L = s.L, D = s.E, F = 16;
    HyenaCase c(rng, L, D);
    const auto dy = rand_vec(rng, L * D, -1, 1);
    GradPair dx0(rng, L * D), dw(rng, L * D), dbasis(rng, L * F), dfw(rng, D * F), db(rng, D);
    const HyenaConvArgs& a = c.args;
    auto grads = [&](bool on_gpu) {
        return HyenaConvGrads{.dy = dy.data(),
                              .dx0 = dx0.on(on_gpu),
                              .dw = dw.on(on_gpu),
                              .dbasis = dbasis.on(on_gpu),
                              .dfilter_w = dfw.on(on_gpu),
                              .dbias = db.on(on_gpu)};
    };
    gpu->hyena_conv_backward(a, grads(true));
    cpu->hyena_conv_backward(a, grads(false));
    dx0.expect_near("dx0");
    dw.expect_near("dw");
    dbasis.expect_near("dbasis");
    dfw.expect_near("dfilter_w");
    db.expect_near("dbias");
}

TEST_P(CudaParity, SinActivation) {
    const std::int64_t R = s.L, C = s.N;
    auto x = rand_vec(rng, R * C, -3, 3), freq = rand_vec(rng, C, 0.5, 20);
    Guarded y(R * C), y_ref(R * C);
    gpu->sin_activation(x.data(), freq.data(), R, C, y.data());
    cpu->sin_activation(x.data(), freq.data(), R, C, y_ref.data());
    EXPECT_TRUE(y.intact());
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), R * C), 1e-5);
}

TEST_P(CudaParity, AdamWUpdate) {
    const std::int64_t n = s.L * s.E;
    auto p0 = rand_vec(rng, n, -1, 1), g = rand_vec(rng, n, -1, 1),
         m0 = rand_vec(rng, n, -0.1, 0.1), v0 = rand_vec(rng, n, 0, 0.01);
    for (bool decay : {false, true}) {
        Guarded p(n), m(n), v(n);
        std::copy(p0.begin(), p0.end(), p.data());
        std::copy(m0.begin(), m0.end(), m.data());
        std::copy(v0.begin(), v0.end(), v.data());
        std::vector<float> pc = p0, mc = m0, vc = v0;
        AdamWArgs a{.n = n,
                    .param = p.data(),
                    .grad = g.data(),
                    .m = m.data(),
                    .v = v.data(),
                    .lr = 1e-3,
                    .weight_decay = 0.1,
                    .clip = 0.7,
                    .bc1 = 0.19,
                    .bc2 = 0.0975,
                    .decay = decay};
        gpu->adamw_update(a);
        a.param = pc.data();
        a.m = mc.data();
        a.v = vc.data();
        cpu->adamw_update(a);
        EXPECT_TRUE(p.intact() && m.intact() && v.intact());
        EXPECT_LE(test::rel_l2(p.data(), pc.data(), n), 1e-6);
        EXPECT_LE(test::rel_l2(m.data(), mc.data(), n), 1e-6);
        EXPECT_LE(test::rel_l2(v.data(), vc.data(), n), 1e-6);
    }
}

TEST_P(CudaParity, EmbeddingBackwardAndNextTokenLoss) {
    const std::int64_t L = s.L, D = s.E, V = 16, ld = D + 2;
    std::vector<std::int32_t> ids(static_cast<size_t>(L));
    for (auto& id : ids) id = static_cast<std::int32_t>(rng.next() % V);
    auto dy = rand_vec(rng, L * ld, -1, 1), logits = rand_vec(rng, L * V, -4, 4);
    GradPair dtable(rng, V * D);
    const EmbeddingArgs a{.L = L, .V = V, .D = D, .ids = ids.data()};
    gpu->embedding_backward(a, dy.data(), ld, dtable.gpu.data());
    cpu->embedding_backward(a, dy.data(), ld, dtable.cpu.data());
    dtable.expect_near("dtable");
    {  // a vocabulary past the per-column kernel's limit (32): the thread-per-entry kernel
        const std::int64_t V2 = 40;
        std::vector<std::int32_t> ids2(static_cast<size_t>(L));
        for (auto& id : ids2) id = static_cast<std::int32_t>(rng.next() % V2);
        GradPair dtable2(rng, V2 * D);
        const EmbeddingArgs a2{.L = L, .V = V2, .D = D, .ids = ids2.data()};
        gpu->embedding_backward(a2, dy.data(), ld, dtable2.gpu.data());
        cpu->embedding_backward(a2, dy.data(), ld, dtable2.cpu.data());
        dtable2.expect_near("dtable, V = 40");
    }
    if (L < 2) return;  // the loss needs a next token
    Guarded dl(L * V), dl_ref(L * V);
    const double loss = gpu->next_token_loss(logits.data(), L, V, ids.data(), dl.data());
    const double loss_ref = cpu->next_token_loss(logits.data(), L, V, ids.data(), dl_ref.data());
    EXPECT_NEAR(loss, loss_ref, 1e-9 * std::fabs(loss_ref));
    EXPECT_TRUE(dl.intact());
    EXPECT_LE(test::rel_l2(dl.data(), dl_ref.data(), L * V), 1e-6);
    EXPECT_NEAR(gpu->next_token_loss(logits.data(), L, V, ids.data(), nullptr), loss_ref,
                1e-9 * std::fabs(loss_ref));
}

TEST_P(CudaParity, GeluBackward) {
    const std::int64_t n = s.L * s.E;
    auto x = rand_vec(rng, n, -4, 4), dy = rand_vec(rng, n, -1, 1);
    GradPair dx(rng, n);
    gpu->gelu_tanh_backward(x.data(), dy.data(), dx.gpu.data(), n);
    cpu->gelu_tanh_backward(x.data(), dy.data(), dx.cpu.data(), n);
    dx.expect_near("dx");
}

TEST_P(CudaParity, HyenaGatesAndSinBackward) {
    const std::int64_t n = s.L, D = s.E, C = s.N;
    const auto uc = rand_vec(rng, n * 3 * D, -2, 2), dx0 = rand_vec(rng, n * D, -1, 1),
               dw = rand_vec(rng, n * D, -1, 1);
    GradPair duc(rng, n * 3 * D);
    gpu->hyena_gates_backward(uc.data(), dx0.data(), dw.data(), n, D, duc.gpu.data());
    cpu->hyena_gates_backward(uc.data(), dx0.data(), dw.data(), n, D, duc.cpu.data());
    duc.expect_near("duc", 1e-6);
    // Sin over several of the dfreq row parts when L is large.
    const auto x = rand_vec(rng, n * C, -3, 3), freq = rand_vec(rng, C, 0.5, 20),
               dy = rand_vec(rng, n * C, -1, 1);
    GradPair dx(rng, n * C), dfreq(rng, C);
    gpu->sin_activation_backward(x.data(), freq.data(), dy.data(), n, C, dx.gpu.data(),
                                 dfreq.gpu.data());
    cpu->sin_activation_backward(x.data(), freq.data(), dy.data(), n, C, dx.cpu.data(),
                                 dfreq.cpu.data());
    dx.expect_near("sin dx");
    dfreq.expect_near("sin dfreq");
}

TEST(CudaParityLarge, SelectiveScanBackwardOverManySegments) {
    REQUIRE_CUDA();
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    test::Rng rng(13);
    // Several dB/dC segments (of the warp variant; the thread-per-channel one has fewer, larger
    // partials and runs this in one), a ragged last chunk.
    const std::int64_t L = 100003, E = 513, N = 16;
    const auto warp_plan = cuda::plan_selective_scan_backward(L, E, N, false);
    ASSERT_GT(warp_plan.n_chunks, warp_plan.segment_chunks);
    auto u = rand_vec(rng, L * E, -2, 2), dt = rand_vec(rng, L * E, -4, 1),
         dy = rand_vec(rng, L * E, -1, 1);
    auto A = rand_vec(rng, E * N, -8, -0.5), Bm = rand_vec(rng, L * N, -1, 1),
         Cm = rand_vec(rng, L * N, -1, 1), D = rand_vec(rng, E, 0.5, 1.5);
    std::vector<float> du(static_cast<size_t>(L * E)), du_ref(du.size()),
        dB(static_cast<size_t>(L * N)), dB_ref(dB.size()), dC(dB.size()), dC_ref(dB.size()),
        dA(static_cast<size_t>(E * N)), dA_ref(dA.size());
    SelectiveScanArgs a{.L = L,
                        .E = E,
                        .N = N,
                        .u = u.data(),
                        .ld_u = E,
                        .delta = dt.data(),
                        .ld_delta = E,
                        .A = A.data(),
                        .B = Bm.data(),
                        .ld_B = N,
                        .C = Cm.data(),
                        .ld_C = N,
                        .D = D.data(),
                        .ld_y = E};
    gpu->selective_scan_backward(
        a, {.dy = dy.data(), .du = du.data(), .dA = dA.data(), .dB = dB.data(), .dC = dC.data()});
    cpu->selective_scan_backward(a, {.dy = dy.data(),
                                     .du = du_ref.data(),
                                     .dA = dA_ref.data(),
                                     .dB = dB_ref.data(),
                                     .dC = dC_ref.data()});
    EXPECT_LE(test::rel_l2(du.data(), du_ref.data(), L * E), 1e-5);
    EXPECT_LE(test::rel_l2(dA.data(), dA_ref.data(), E * N), 1e-5);
    EXPECT_LE(test::rel_l2(dB.data(), dB_ref.data(), L * N), 1e-5);
    EXPECT_LE(test::rel_l2(dC.data(), dC_ref.data(), L * N), 1e-5);
}

}  // namespace
}  // namespace dnassm
