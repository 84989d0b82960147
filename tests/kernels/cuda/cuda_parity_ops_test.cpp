// CUDA backend parity (issue C1): every forward op on "cuda:0" against the "cpu" op on fresh random
// inputs (odd L, L not a multiple of the scan chunk, L = 1, L = 1M), with sentinel guards around
// host outputs; device-resident activations and kept weights. Skips, saying why, where no CUDA
// device is usable.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "cuda_parity.h"
#include "scan_case.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

using test::CudaParity;
using test::Guarded;
using test::HyenaCase;
using test::rand_vec;
using test::Shape;

TEST_P(CudaParity, Linear) {
    const std::int64_t M = s.L, K = s.E, N = 2 * s.E + 3, ld_y = N + 5;
    auto x = rand_vec(rng, M * K, -1, 1), w = rand_vec(rng, N * K, -1, 1),
         b = rand_vec(rng, N, -1, 1);
    for (bool acc : {false, true}) {
        Guarded y(M * ld_y), y_ref(M * ld_y);
        auto init = rand_vec(rng, M * ld_y, -1, 1);
        std::copy(init.begin(), init.end(), y.data());
        std::copy(init.begin(), init.end(), y_ref.data());
        LinearArgs a{.M = M,
                     .K = K,
                     .N = N,
                     .x = x.data(),
                     .ld_x = K,
                     .weight = w.data(),
                     .bias = b.data(),
                     .y = y.data(),
                     .ld_y = ld_y,
                     .accumulate = acc};
        gpu->linear(a);
        a.y = y_ref.data();
        cpu->linear(a);
        EXPECT_TRUE(y.intact());
        EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), M * ld_y), 1e-5) << "accumulate " << acc;
        for (std::int64_t r = 0; r < M; ++r)  // the padding between rows is left alone
            for (std::int64_t c = N; c < ld_y; ++c)
                ASSERT_EQ(y.data()[r * ld_y + c], init[r * ld_y + c]);
    }
}

TEST_P(CudaParity, Norms) {
    const std::int64_t R = s.L, D = s.E;
    auto x = rand_vec(rng, R * D, -2, 2), w = rand_vec(rng, D, 0.5, 1.5),
         b = rand_vec(rng, D, -1, 1);
    for (NormKind kind : {NormKind::kRms, NormKind::kLayer}) {
        Guarded y(R * D), y_ref(R * D);
        NormArgs a{.kind = kind,
                   .rows = R,
                   .D = D,
                   .x = x.data(),
                   .weight = w.data(),
                   .bias = kind == NormKind::kLayer ? b.data() : nullptr,
                   .eps = 1e-5f,
                   .y = y.data()};
        gpu->norm(a);
        a.y = y_ref.data();
        cpu->norm(a);
        EXPECT_TRUE(y.intact());
        EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), R * D), 1e-5);
    }
    // A mean far from zero against the spread: E[x²] − mean² would lose the variance here.
    std::vector<float> off = x;
    for (float& v : off) v = 30.0f + 0.05f * v;  // E[x²] − mean² is off by ~1 % here (numpy)
    Guarded y(R * D), y_ref(R * D);
    NormArgs a{.kind = NormKind::kLayer,
               .rows = R,
               .D = D,
               .x = off.data(),
               .weight = w.data(),
               .bias = b.data(),
               .eps = 1e-8f,
               .y = y.data()};
    gpu->norm(a);
    a.y = y_ref.data();
    cpu->norm(a);
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), R * D), 1e-4);
}

TEST_P(CudaParity, CausalConvWithState) {
    const std::int64_t L = s.L, E = s.E, W = 4;
    auto x = rand_vec(rng, L * 2 * E, -1, 1), w = rand_vec(rng, E * W, -1, 1),
         b = rand_vec(rng, E, -1, 1), st0 = rand_vec(rng, E * W, -1, 1);
    for (bool silu : {true, false}) {
        Guarded y(L * E), y_ref(L * E);
        std::vector<float> st = st0, st_ref = st0;
        CausalConv1dArgs a{.L = L,
                           .E = E,
                           .W = W,
                           .x = x.data(),
                           .ld_x = 2 * E,
                           .weight = w.data(),
                           .bias = b.data(),
                           .state = st.data(),
                           .silu = silu,
                           .y = y.data(),
                           .ld_y = E};
        gpu->causal_conv1d(a);
        a.state = st_ref.data();
        a.y = y_ref.data();
        cpu->causal_conv1d(a);
        EXPECT_TRUE(y.intact());
        EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * E), 1e-5);
        EXPECT_EQ(st, st_ref) << "carried conv state";
    }
}

TEST_P(CudaParity, SelectiveScanWithStateInAndOut) {
    const std::int64_t L = s.L, E = s.E, N = s.N;
    test::ScanCase c(rng, s.L, s.E, s.N);
    Guarded y(L * E), y_ref(L * E);
    std::vector<float> st = c.s0, st_ref = c.s0;
    SelectiveScanArgs a = c.args;
    a.state = st.data();
    a.y = y.data();
    gpu->selective_scan(a);
    a.state = st_ref.data();
    a.y = y_ref.data();
    cpu->selective_scan(a);
    EXPECT_TRUE(y.intact());
    EXPECT_TRUE(test::all_finite(y.data(), L * E));
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * E), 1e-5);
    EXPECT_LE(test::rel_l2(st.data(), st_ref.data(), E * N), 1e-5);
}

TEST_P(CudaParity, SelectiveScanBf16Storage) {
    const std::int64_t L = s.L, E = s.E, N = s.N;
    test::ScanCase c(rng, s.L, s.E, s.N);
    Guarded y(L * E), y_bf16(L * E), y_f32(L * E);
    std::vector<float> st = c.s0, st_ref = c.s0, st_f32 = c.s0;
    SelectiveScanArgs a = c.args;
    a.bf16 = true;
    a.state = st.data();
    a.y = y.data();
    gpu->selective_scan(a);
    a.state = st_ref.data();
    a.y = y_bf16.data();
    cpu->selective_scan(a);  // the same rounding on the CPU
    a.bf16 = false;
    a.state = st_f32.data();
    a.y = y_f32.data();
    cpu->selective_scan(a);
    EXPECT_TRUE(y.intact());
    EXPECT_LE(test::rel_l2(y.data(), y_bf16.data(), L * E), 4e-3);
    EXPECT_LE(test::rel_l2(y.data(), y_f32.data(), L * E), 1e-2);    // the bf16 bound
    EXPECT_LE(test::rel_l2(st.data(), st_ref.data(), E * N), 1e-5);  // fp32 state
}

TEST_P(CudaParity, HyenaFftConv) {
    const std::int64_t L = s.L, D = s.E;
    HyenaCase c(rng, L, D);
    Guarded y(L * D), y_ref(L * D);
    HyenaConvArgs a = c.args;
    a.y = y.data();
    gpu->hyena_conv(a);
    a.y = y_ref.data();
    cpu->hyena_conv(a);
    EXPECT_TRUE(y.intact());
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * D), 1e-5);
}

TEST_P(CudaParity, EmbeddingAddGelu) {
    const std::int64_t L = s.L, D = s.E, V = 16;
    std::vector<std::int32_t> ids(static_cast<size_t>(L));
    for (auto& id : ids) id = static_cast<std::int32_t>(rng.next() % V);
    auto table = rand_vec(rng, V * D, -1, 1);
    Guarded y(L * D), y_ref(L * D);
    EmbeddingArgs a{
        .L = L, .V = V, .D = D, .ids = ids.data(), .table = table.data(), .y = y.data()};
    gpu->embedding(a);
    a.y = y_ref.data();
    cpu->embedding(a);
    EXPECT_EQ(0, std::memcmp(y.data(), y_ref.data(), static_cast<size_t>(L * D) * 4));
    auto inc = rand_vec(rng, L * D, -3, 3);
    gpu->add_inplace(y.data(), inc.data(), L * D);
    cpu->add_inplace(y_ref.data(), inc.data(), L * D);
    gpu->gelu_tanh_inplace(y.data(), L * D);
    cpu->gelu_tanh_inplace(y_ref.data(), L * D);
    EXPECT_TRUE(y.intact());
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * D), 1e-5);
}

TEST_P(CudaParity, HyenaGates) {
    const std::int64_t n = s.L, D = s.E;
    const auto uc = rand_vec(rng, n * 3 * D, -2, 2);
    Guarded x0(n * D), w(n * D), x0_ref(n * D), w_ref(n * D);
    gpu->hyena_gates(uc.data(), n, D, x0.data(), w.data());
    cpu->hyena_gates(uc.data(), n, D, x0_ref.data(), w_ref.data());
    EXPECT_TRUE(x0.intact() && w.intact());
    EXPECT_EQ(0, std::memcmp(x0.data(), x0_ref.data(), static_cast<size_t>(n * D) * 4));
    EXPECT_LE(test::rel_l2(w.data(), w_ref.data(), n * D), 1e-6);
}

// Stage 2: activations in device memory go through the ops in place (no host copies); host and
// device pointers mix freely; download() and zero() reach them.
TEST_P(CudaParity, OpsWorkOnDeviceActivationsInPlace) {
    const std::int64_t M = s.L, K = s.E, N = 2 * s.E + 1;
    auto x = rand_vec(rng, M * K, -1, 1), W = rand_vec(rng, N * K, -0.3, 0.3),
         b = rand_vec(rng, N, -1, 1), inc = rand_vec(rng, M * N, -1, 1),
         gamma = rand_vec(rng, N, 0.5, 1.5);
    const Tensor y = gpu->activation({M, N});
    ASSERT_EQ(y.device(), Device::kCuda);
    std::vector<float> y_ref(static_cast<size_t>(M * N));
    for (Backend* be : {gpu.get(), cpu.get()}) {
        float* out = be == gpu.get() ? y.f32() : y_ref.data();
        be->linear({.M = M,
                    .K = K,
                    .N = N,
                    .x = x.data(),
                    .ld_x = K,
                    .weight = W.data(),
                    .bias = b.data(),
                    .y = out,
                    .ld_y = N});
        be->add_inplace(out, inc.data(), M * N);  // device += host
        be->gelu_tanh_inplace(out, M * N);
        be->norm({.kind = NormKind::kRms,  // in place, device to device
                  .rows = M,
                  .D = N,
                  .x = out,
                  .weight = gamma.data(),
                  .eps = 1e-5f,
                  .y = out});
    }
    Guarded host(M * N);
    gpu->download(y.f32(), host.data(), M * N);
    EXPECT_TRUE(host.intact());
    EXPECT_LE(test::rel_l2(host.data(), y_ref.data(), M * N), 1e-5);
    gpu->zero(y.f32() + N, (M - 1) * N);
    gpu->download(y.f32(), host.data(), M * N);
    EXPECT_LE(test::rel_l2(host.data(), y_ref.data(), N), 1e-5);  // row 0 kept
    for (std::int64_t i = N; i < M * N; ++i) ASSERT_EQ(host.data()[i], 0.0f) << i;
}

TEST_P(CudaParity, CopyBlockMulAndUploadOnDeviceActivations) {
    const std::int64_t rows = s.L, cols = s.E, ld = s.E + 3;
    const auto src = rand_vec(rng, rows * ld, -1, 1), y = rand_vec(rng, rows * cols, -2, 2);
    const Tensor d_src = gpu->activation({rows, ld}), d_dst = gpu->activation({rows, cols});
    gpu->upload(src.data(), d_src.f32(), rows * ld);
    for (const bool flip : {false, true}) {
        Guarded host(rows * cols);
        std::vector<float> ref(static_cast<size_t>(rows * cols));
        CopyBlockArgs a{.rows = rows,
                        .cols = cols,
                        .src = src.data() + 1,
                        .ld_src = ld,
                        .dst = ref.data(),
                        .ld_dst = cols,
                        .flip_rows = flip,
                        .flip_cols = flip};
        cpu->copy_block(a);
        cpu->mul_inplace(ref.data(), y.data(), rows * cols);
        a.src = d_src.f32() + 1;  // device to device
        a.dst = d_dst.f32();
        gpu->copy_block(a);
        gpu->mul_inplace(d_dst.f32(), y.data(), rows * cols);
        gpu->download(d_dst.f32(), host.data(), rows * cols);
        EXPECT_TRUE(host.intact());
        EXPECT_EQ(0, std::memcmp(host.data(), ref.data(), static_cast<size_t>(rows * cols) * 4));
        Guarded staged(rows * cols);  // host to host through the op's staging
        a.src = src.data() + 1;
        a.dst = staged.data();
        gpu->copy_block(a);
        EXPECT_TRUE(staged.intact());
        cpu->mul_inplace(staged.data(), y.data(), rows * cols);
        EXPECT_EQ(0, std::memcmp(staged.data(), ref.data(), static_cast<size_t>(rows * cols) * 4));
    }
}

// Weights kept on the device between ops (Backend::keep_weights) are read from there, uploaded
// again after weights_changed(), and after an op that writes them (AdamW) without being told.
TEST_P(CudaParity, KeptWeightsFollowHostChanges) {
    const std::int64_t M = s.L, K = s.E, N = s.E + 5;
    Tensor W({N, K}), b({N});
    rng.fill(W.f32(), W.numel(), -0.5f, 0.5f);
    rng.fill(b.f32(), b.numel(), -1.0f, 1.0f);
    const auto x = rand_vec(rng, M * K, -1, 1), g = rand_vec(rng, N * K, -1, 1);
    gpu->keep_weights({W, b});
    auto expect_same_linear = [&](const char* when) {
        Guarded y(M * N);
        std::vector<float> ref(static_cast<size_t>(M * N));
        for (Backend* be : {gpu.get(), cpu.get()})
            be->linear({.M = M,
                        .K = K,
                        .N = N,
                        .x = x.data(),
                        .ld_x = K,
                        .weight = W.f32(),
                        .bias = b.f32(),
                        .y = be == gpu.get() ? y.data() : ref.data(),
                        .ld_y = N});
        EXPECT_TRUE(y.intact()) << when;
        EXPECT_LE(test::rel_l2(y.data(), ref.data(), M * N), 1e-5) << when;
    };
    expect_same_linear("first use");
    expect_same_linear("second use");
    for (float& w : W.span_f32()) w *= -0.5f;
    gpu->weights_changed();
    expect_same_linear("after weights_changed");
    std::vector<float> m(static_cast<size_t>(N * K)), v(m.size());
    gpu->adamw_update({.n = N * K,
                       .param = W.f32(),
                       .grad = g.data(),
                       .m = m.data(),
                       .v = v.data(),
                       .lr = 0.1,
                       .bc1 = 0.1,
                       .bc2 = 0.05});
    expect_same_linear("after AdamW wrote the weight");
    gpu->keep_weights({});
}

INSTANTIATE_TEST_SUITE_P(Shapes,
                         CudaParity,
                         ::testing::Values(Shape{1, 8, 16},
                                           Shape{37, 129, 16},
                                           Shape{2049, 256, 16},
                                           Shape{5, 3, 1},
                                           Shape{4097, 64, 32}),
                         [](const auto& pinfo) {
                             std::ostringstream name;  // "L37_E129_N16"
                             test::PrintTo(pinfo.param, &name);
                             return name.str();
                         });

TEST(CudaParityLarge, SelectiveScanAtOneMegabase) {
    REQUIRE_CUDA();
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    test::Rng rng(11);
    const std::int64_t L = 1 << 20, E = 16, N = 16;
    const test::ScanCase c(rng, L, E, N);
    std::vector<float> y(static_cast<size_t>(L * E)), y_ref(y.size()), st = c.s0, st_ref = c.s0;
    SelectiveScanArgs a = c.args;
    a.state = st.data();
    a.y = y.data();
    gpu->selective_scan(a);
    a.state = st_ref.data();
    a.y = y_ref.data();
    cpu->selective_scan(a);
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * E), 1e-5);
    EXPECT_LE(test::rel_l2(st.data(), st_ref.data(), E * N), 1e-5);
}

}  // namespace
}  // namespace dnassm
