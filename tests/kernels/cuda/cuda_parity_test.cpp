// CUDA backend parity (issue C1): every op on "cuda:0" against the "cpu" op on fresh random
// inputs (odd L, L not a multiple of the scan chunk, L = 1, L = 1M), with sentinel guards around
// host outputs; every backward op likewise (issue C2: outputs are accumulated into random
// starting values, so "+=" is checked too); then whole golden models on CUDA against the CPU,
// forward and a few AdamW training steps. Skips, saying why, where no CUDA device is usable. The
// launch arithmetic (launch_plan.h) is tested on every machine.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/npy.h"
#include "dnassm/model.h"
#include "dnassm/sequence_runner.h"

#include "cuda/launch_plan.h"
#include "cuda/scan_backward_channel.h"
#include "scan_case.h"
#include "test_util.h"
#include "train/adamw.h"
#include "train/masked_lm.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

using test::Guarded;
using test::rand_vec;

TEST(CudaLaunchPlan, ChunksCoverEveryLengthAndStayBounded) {
    for (std::int64_t L : {1LL, 2LL, 63LL, 64LL, 65LL, 4095LL, 100000LL, 1LL << 20, 3LL << 22}) {
        const cuda::ScanPlan p = cuda::plan_selective_scan(L, 513, 16);
        EXPECT_GE(p.chunk * p.n_chunks, L) << L;
        EXPECT_LT(p.chunk * (p.n_chunks - 1), L) << L;  // no empty chunk
        EXPECT_GE(p.chunk, 64);
        EXPECT_LE(p.chunk, 2048);
        EXPECT_GE(p.grid_x * cuda::ScanPlan::kChannelsPerBlock, 513);
        EXPECT_LT((p.grid_x - 1) * cuda::ScanPlan::kChannelsPerBlock, 513);
    }
    EXPECT_THROW((void)cuda::plan_selective_scan(100, 8, 33), Error);
    EXPECT_FALSE(cuda::plan_selective_scan(100, 8, 16).staged_inputs);
    setenv("DNASSM_CUDA_SCAN_STAGED", "1", 1);  // the variant the GPU run checks and times
    EXPECT_TRUE(cuda::plan_selective_scan(100, 8, 16).staged_inputs);
    unsetenv("DNASSM_CUDA_SCAN_STAGED");
    EXPECT_EQ(cuda::span_floats(0, 5, 9), 0);
    EXPECT_EQ(cuda::span_floats(3, 5, 9), 23);
}

TEST(CudaLaunchPlan, RowPartsCoverEveryRowOnceInBoundedParts) {
    using cuda::RowParts;
    for (std::int64_t rows : {1LL, 2LL, 2047LL, 2048LL, 2049LL, 4097LL, 100000LL, 262143LL,
                              1LL << 20, (1LL << 24) + 3}) {
        const RowParts p = cuda::plan_row_parts(rows);
        EXPECT_GE(p.parts, 1) << rows;
        EXPECT_LE(p.parts, RowParts::kMaxParts) << rows;
        EXPECT_GE(p.parts * p.rows_per_part, rows) << rows;
        EXPECT_LT((p.parts - 1) * p.rows_per_part, rows) << rows << ": empty last part";
        EXPECT_EQ(p.parts == 1, rows <= RowParts::kMinRows) << rows;
        if (p.parts < RowParts::kMaxParts) {
            EXPECT_LE(p.rows_per_part, RowParts::kMinRows) << rows;
        }
    }
    EXPECT_EQ(cuda::plan_row_parts(4097).parts, 3);  // the parity shapes cover several parts
    EXPECT_EQ(cuda::plan_row_parts(0).parts, 1);
    setenv("DNASSM_CUDA_ONE_ROW_PART", "1", 1);  // the switch a GPU run rules the parts out with
    EXPECT_EQ(cuda::plan_row_parts(1 << 20).parts, 1);
    EXPECT_EQ(cuda::plan_row_parts(1 << 20).rows_per_part, 1 << 20);
    unsetenv("DNASSM_CUDA_ONE_ROW_PART");
}

TEST(CudaLaunchPlan, ScanBackwardChunksSegmentsAndScratch) {
    using P = cuda::ScanBackwardPlan;
    using Channel = cuda::ChannelScanBackward;
    for (const bool per_channel : {false, true})
        for (std::int64_t L : {1LL, 63LL, 64LL, 65LL, 4095LL, 100000LL, 1LL << 20}) {
            for (std::int64_t E : {1LL, 5LL, 513LL, 1536LL}) {
                const P p = cuda::plan_selective_scan_backward(L, E, 16, per_channel);
                EXPECT_EQ(p.per_channel, per_channel);
                EXPECT_GE(p.chunk * p.n_chunks, L);
                EXPECT_LT(p.chunk * (p.n_chunks - 1), L);
                // Checkpoints fit in shared memory (warp variant) or in the thread's array.
                EXPECT_LE(p.chunk, per_channel ? Channel::kSub * Channel::kMaxCheckpoints
                                               : P::kSub * P::kCheckpoints);
                const std::int64_t per_block = per_channel ? Channel::kThreads : P::kWarps;
                EXPECT_GE(p.grid_x * per_block, E);
                EXPECT_LT((p.grid_x - 1) * per_block, E);
                EXPECT_GE(p.segment_chunks, 1);
                EXPECT_LE(p.segment_chunks, p.n_chunks);
                // dB/dC partials stay bounded however long the sequence.
                EXPECT_LE(2 * p.grid_x * p.segment_chunks * p.chunk * 16,
                          std::max<std::int64_t>(64LL << 20, 2 * p.grid_x * p.chunk * 16));
                const cuda::ScanBackwardScratch sc = cuda::scan_backward_scratch(p, E, 16);
                const std::int64_t per = p.n_chunks * E * 16;
                const std::int64_t parts = p.grid_x * p.segment_chunks * p.chunk * 16;
                const std::vector<std::pair<std::int64_t, std::int64_t>> spans = {
                    {sc.decay, per},         {sc.entry, per},
                    {sc.reach, per},         {sc.back_reach, per},
                    {sc.exit_carry, per},    {sc.dA, per},
                    {sc.dD, p.n_chunks * E}, {sc.dbias, p.n_chunks * E},
                    {sc.dB, parts},          {sc.dC, parts}};
                std::int64_t end = 0;
                for (const auto& [at, n] : spans) {  // back to back, no overlap
                    EXPECT_EQ(at, end);
                    end = at + n;
                }
                EXPECT_EQ(sc.total, end);
            }
        }
    EXPECT_THROW((void)cuda::plan_selective_scan_backward(100, 8, 33), Error);
    EXPECT_FALSE(cuda::plan_selective_scan_backward(100, 8, 16).per_channel);
    setenv("DNASSM_CUDA_SCAN_BACKWARD", "channel", 1);  // the variant the GPU run checks
    EXPECT_TRUE(cuda::plan_selective_scan_backward(100, 8, 16).per_channel);
    unsetenv("DNASSM_CUDA_SCAN_BACKWARD");
}

bool have_cuda() {
    const auto names = available_backends();
    return std::find(names.begin(), names.end(), "cuda:0") != names.end();
}

#define REQUIRE_CUDA()                                         \
    if (!have_cuda())                                          \
    GTEST_SKIP() << "no usable CUDA device (" << cuda_status() \
                 << "); CUDA parity not checked on this machine"

struct Shape {
    std::int64_t L, E, N;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << "L" << s.L << "_E" << s.E << "_N" << s.N; }

class CudaParity : public ::testing::TestWithParam<Shape> {
  protected:
    void SetUp() override {
        REQUIRE_CUDA();
        gpu = make_backend("cuda:0");
        cpu = make_backend("cpu");
    }
    std::unique_ptr<Backend> gpu, cpu;
    test::Rng rng{7};
    Shape s = GetParam();
};

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

// Random Hyena long-conv inputs (F = 16 basis columns) in the ranges the parity tests use.
struct HyenaCase {
    HyenaCase(test::Rng& rng, std::int64_t L, std::int64_t D)
        : x0(rand_vec(rng, L * D, -1, 1)),
          w(rand_vec(rng, L * D, -1, 1)),
          basis(rand_vec(rng, L * 16, -1, 1)),
          fw(rand_vec(rng, D * 16, -0.5, 0.5)),
          t(rand_vec(rng, L, 0, 1)),
          deltas(rand_vec(rng, D, -15, -3)),
          b(rand_vec(rng, D, -1, 1)) {
        args = {.L = L,
                .D = D,
                .F = 16,
                .x0 = x0.data(),
                .w = w.data(),
                .basis = basis.data(),
                .filter_w = fw.data(),
                .t = t.data(),
                .deltas = deltas.data(),
                .shift = 0.05f,
                .bias = b.data()};
    }
    std::vector<float> x0, w, basis, fw, t, deltas, b;
    HyenaConvArgs args;  // y set by each test
};

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

// ---- backward ops (issue C2)

// Random starting values for an accumulated gradient output: the same for CPU and GPU.
struct GradPair {
    GradPair(test::Rng& rng, std::int64_t n) : gpu(n), cpu(n) {
        auto init = rand_vec(rng, n, -1, 1);
        std::copy(init.begin(), init.end(), gpu.data());
        std::copy(init.begin(), init.end(), cpu.data());
    }
    float* on(bool gpu_side) { return gpu_side ? gpu.data() : cpu.data(); }
    void expect_near(const char* what, double tol = 1e-5) {
        EXPECT_TRUE(gpu.intact()) << what << ": write outside the buffer";
        EXPECT_TRUE(test::all_finite(gpu.data(), gpu.n)) << what;
        EXPECT_LE(test::rel_l2(gpu.data(), cpu.data(), gpu.n), tol) << what;
    }
    Guarded gpu, cpu;
};

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

INSTANTIATE_TEST_SUITE_P(Shapes,
                         CudaParity,
                         ::testing::Values(Shape{1, 8, 16},
                                           Shape{37, 129, 16},
                                           Shape{2049, 256, 16},
                                           Shape{5, 3, 1},
                                           Shape{4097, 64, 32}),
                         [](const auto& pinfo) {
                             const Shape& sh = pinfo.param;
                             return "L" + std::to_string(sh.L) + "_E" + std::to_string(sh.E) +
                                    "_N" + std::to_string(sh.N);
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

class CudaGoldenModel : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaGoldenModel, HiddenStatesMatchCpu) {
    REQUIRE_CUDA();
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto model = Model::load(dir);
    const std::vector<std::int32_t> ids = test::golden_ids(dir, 1024);
    const auto L = static_cast<std::int64_t>(ids.size());
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    auto s1 = model->new_state(), s2 = model->new_state();
    const Tensor hg = model->forward(*gpu, ids, s1.get());
    const Tensor hc = model->forward(*cpu, ids, s2.get());
    EXPECT_LE(test::rel_l2(hg.f32(), hc.f32(), hc.numel()), 1e-4);
    const Tensor lg = model->logits(*gpu, hg), lc = model->logits(*cpu, hc);
    EXPECT_LE(test::rel_l2(lg.f32(), lc.f32(), lc.numel()), 1e-4);
    if (!model->streams()) return;
    // Streamed in three chunks: the state moves to the GPU at the first and is carried there.
    auto s3 = model->new_state();
    const std::int64_t D = hc.dim(1);
    for (std::int64_t t = 0; t < L; t += 400) {
        const std::int64_t n = std::min<std::int64_t>(400, L - t);
        const Tensor part = model->forward(
            *gpu, std::span<const std::int32_t>(ids).subspan(static_cast<size_t>(t), n), s3.get());
        EXPECT_LE(test::rel_l2(part.f32(), hc.f32() + t * D, n * D), 1e-4) << "chunk at " << t;
    }
}

// run_sequence on CUDA: windows streamed (Mamba) or tiled (the others), each window's hidden
// states and logits copied down on the second stream while the next window runs.
TEST_P(CudaGoldenModel, PipelinedRunMatchesCpu) {
    REQUIRE_CUDA();
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto model = Model::load(dir);
    const std::vector<std::int32_t> ids = test::golden_ids(dir, 1024);
    RunOptions o{.chunk = 400, .window = 400, .overlap = 50, .tile = !model->streams()};
    auto blocks = [&](Backend& be) {
        std::vector<RowBlock> out;
        run_sequence(*model, be, ids, o, nullptr, {.hidden = true, .logits = true},
                     [&](const RowBlock& b) { out.push_back(b); });
        return out;
    };
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    const auto got = blocks(*gpu), want = blocks(*cpu);
    ASSERT_EQ(got.size(), want.size());
    ASSERT_GT(want.size(), 1u);
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].offset, want[i].offset);
        ASSERT_EQ(got[i].hidden.shape(), want[i].hidden.shape());
        ASSERT_EQ(got[i].logits.shape(), want[i].logits.shape());
        EXPECT_LE(test::rel_l2(got[i].hidden.f32(), want[i].hidden.f32(), want[i].hidden.numel()),
                  1e-4)
            << "block " << i;
        EXPECT_LE(test::rel_l2(got[i].logits.f32(), want[i].logits.f32(), want[i].logits.numel()),
                  1e-4)
            << "block " << i;
    }
}

// A stream state saved on the GPU comes down to the host (copy_state) and continues on either
// device; one saved on the CPU continues on the GPU (predict --state-out / --state-in).
TEST_P(CudaGoldenModel, SavedStreamStateContinuesOnEitherDevice) {
    REQUIRE_CUDA();
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto model = Model::load(dir);
    if (!model->streams()) GTEST_SKIP() << GetParam() << " does not stream";
    const std::vector<std::int32_t> ids = test::golden_ids(dir, 1024);
    const auto L = static_cast<std::int64_t>(ids.size());
    const std::int64_t D = model->info().d_model, k = 555;
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    const std::vector<float> whole = test::run_hidden(*model, *cpu, ids, {.chunk = 400});
    for (Backend* first : {gpu.get(), cpu.get()}) {
        std::unique_ptr<ModelState> saved;
        RunOptions o{.chunk = 400};
        o.save_at = k;
        o.on_saved = [&](std::unique_ptr<ModelState> s) { saved = std::move(s); };
        (void)test::run_hidden(*model, *first, ids, o);
        ASSERT_TRUE(saved);
        for (Backend* second : {gpu.get(), cpu.get()}) {
            RunOptions r{.chunk = 400};
            r.resume = saved.get();
            const std::vector<float> rest =
                test::run_hidden(*model, *second, std::span<const std::int32_t>(ids).subspan(k), r);
            EXPECT_LE(test::rel_l2(rest.data(), whole.data() + k * D, (L - k) * D), 1e-4)
                << first->name() << " -> " << second->name();
        }
    }
}

// A few AdamW steps of next-base training (Mamba, HyenaDNA) or of masked-LM plus hidden-state
// losses (Caduceus) on CUDA and on the CPU from the same weights: the same weights after (fp32,
// 1e-5 rel).
TEST_P(CudaGoldenModel, TrainingStepsMatchCpu) {
    REQUIRE_CUDA();
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    const std::vector<std::int32_t> ids = test::golden_ids(dir, 256);
    auto train = [&](Backend& be) {
        auto model = Model::load(dir);
        auto trainable = make_trainable(*model);
        auto params = trainable->parameters();
        AdamW opt({.lr = 1e-3, .warmup_steps = 0, .total_steps = 3});
        for (int step = 0; step < 3; ++step) {
            std::map<std::string, Tensor> grads;
            if (trainable->causal_lm()) {
                (void)lm_loss(*trainable, ids, &grads, be);
            } else {  // masked-LM pretraining, and a hidden-state loss as fine-tuning gives
                const MaskedWindow m = mask_window(ids, static_cast<std::uint64_t>(step), 0.15);
                (void)masked_lm_loss(*trainable, m.input, m.targets, &grads, be);
                const auto tape = trainable->forward(ids, be, false);
                Tensor dh(tape->hidden.shape());
                for (std::int64_t i = 0; i < dh.numel(); ++i)
                    dh.f32()[i] = static_cast<float>(i % 7) * 1e-3f;
                trainable->backward(*tape, ids, dh.f32(), grads);
            }
            auto pgrads = trainable->parameter_grads(std::move(grads), be);
            (void)opt.step(params, pgrads, be);
            trainable->refresh_derived();
        }
        std::map<std::string, std::vector<float>> out;
        for (const auto& [name, t] : params) out[name].assign(t.f32(), t.f32() + t.numel());
        return out;
    };
    auto gpu = make_backend("cuda:0"), cpu = make_backend("cpu");
    const auto wg = train(*gpu), wc = train(*cpu);
    ASSERT_EQ(wg.size(), wc.size());
    for (const auto& [name, v] : wc)
        EXPECT_LE(test::rel_l2(wg.at(name).data(), v.data(), static_cast<std::int64_t>(v.size())),
                  1e-5)
            << name;
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         CudaGoldenModel,
                         ::testing::Values("mamba1_rmsnorm_L2048_B2",
                                           "mamba1_layernorm_L2048_B2",
                                           "hyenadna_tiny1k_L1024",
                                           "caduceus_ph_L1024_B1",
                                           "caduceus_ps_L1024_B1"));

}  // namespace
}  // namespace dnassm
