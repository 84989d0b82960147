// Backend parity: every op of every non-reference backend against "cpu-ref" on random inputs,
// several shapes (odd sizes, L = 1), with sentinel guards around outputs; plus chunked = one-pass
// for the stateful ops.
#include <cmath>
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

#include "dnassm/backend.h"

#include "common/fft_size.h"
#include "scan_case.h"
#include "test_util.h"

namespace dnassm {
namespace {

using test::Guarded;
using test::rand_vec;

struct Shape {
    std::int64_t L, E, N;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << "L" << s.L << "_E" << s.E << "_N" << s.N; }

class OpsParity : public ::testing::TestWithParam<std::tuple<std::string, Shape>> {
  protected:
    std::unique_ptr<Backend> be = make_backend(std::get<0>(GetParam()));
    std::unique_ptr<Backend> ref = make_backend("cpu-ref");
    Shape s = std::get<1>(GetParam());
    test::Rng rng{1234};
};

TEST_P(OpsParity, Linear) {
    const std::int64_t M = s.L, K = s.E, N = s.N + 3;
    auto x = rand_vec(rng, M * K, -1, 1), w = rand_vec(rng, N * K, -1, 1),
         b = rand_vec(rng, N, -1, 1);
    Guarded y(M * N), y_ref(M * N);
    LinearArgs a{.M = M,
                 .K = K,
                 .N = N,
                 .x = x.data(),
                 .ld_x = K,
                 .weight = w.data(),
                 .bias = b.data(),
                 .y = y.data(),
                 .ld_y = N};
    be->linear(a);
    a.y = y_ref.data();
    ref->linear(a);
    EXPECT_TRUE(y.intact()) << "out-of-bounds write detected by sentinels";
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), M * N), 1e-6);
}

TEST_P(OpsParity, RmsAndLayerNorm) {
    const std::int64_t R = s.L, D = s.E;
    auto x = rand_vec(rng, R * D, -3, 3), w = rand_vec(rng, D, 0.5, 1.5),
         b = rand_vec(rng, D, -1, 1);
    for (NormKind kind : {NormKind::kRms, NormKind::kLayer}) {
        Guarded y(R * D), y_ref(R * D);
        NormArgs a{.kind = kind,
                   .rows = R,
                   .D = D,
                   .x = x.data(),
                   .weight = w.data(),
                   .bias = kind == NormKind::kLayer ? b.data() : nullptr,
                   .y = y.data()};
        be->norm(a);
        a.y = y_ref.data();
        ref->norm(a);
        EXPECT_TRUE(y.intact());
        EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), R * D), 1e-6);
    }
}

TEST_P(OpsParity, CausalConv1dChunkedEqualsOnePass) {
    const std::int64_t L = s.L, E = s.E, W = 4;
    auto x = rand_vec(rng, L * E, -2, 2), w = rand_vec(rng, E * W, -1, 1),
         b = rand_vec(rng, E, -1, 1);
    auto st0 = rand_vec(rng, E * W, -1, 1);
    Guarded y(L * E), y_ref(L * E);
    std::vector<float> st = st0, st_ref = st0;
    CausalConv1dArgs a{.L = L,
                       .E = E,
                       .W = W,
                       .x = x.data(),
                       .ld_x = E,
                       .weight = w.data(),
                       .bias = b.data(),
                       .state = st.data(),
                       .silu = true,
                       .y = y.data(),
                       .ld_y = E};
    be->causal_conv1d(a);
    a.state = st_ref.data();
    a.y = y_ref.data();
    ref->causal_conv1d(a);
    EXPECT_TRUE(y.intact());
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * E), 1e-6);
    EXPECT_LE(test::rel_l2(st.data(), st_ref.data(), E * W), 1e-7);
    // Two chunks with the carried state give the one-pass result.
    const std::int64_t cut = L / 2;
    std::vector<float> st2 = st0, y2(static_cast<size_t>(L * E));
    a.state = st2.data();
    a.L = cut;
    a.y = y2.data();
    be->causal_conv1d(a);
    a.L = L - cut;
    a.x = x.data() + cut * E;
    a.y = y2.data() + cut * E;
    be->causal_conv1d(a);
    EXPECT_EQ(0, std::memcmp(y2.data(), y.data(), y2.size() * 4));
    EXPECT_EQ(st2, st);
}

TEST_P(OpsParity, SelectiveScanChunkedEqualsOnePass) {
    const std::int64_t L = s.L, E = s.E, N = s.N;
    const test::ScanCase c(rng, L, E, N);
    Guarded y(L * E), y_ref(L * E);
    std::vector<float> st = c.s0, st_ref = c.s0;
    SelectiveScanArgs a = c.args;
    a.state = st.data();
    a.y = y.data();
    be->selective_scan(a);
    a.state = st_ref.data();
    a.y = y_ref.data();
    ref->selective_scan(a);
    EXPECT_TRUE(y.intact()) << "out-of-bounds write detected by sentinels";
    EXPECT_TRUE(test::all_finite(y.data(), L * E));
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * E), 1e-5);
    EXPECT_LE(test::rel_l2(st.data(), st_ref.data(), E * N), 1e-5);
    const std::int64_t cut = (L + 1) / 3;
    std::vector<float> st2 = c.s0, y2(static_cast<size_t>(L * E));
    a.state = st2.data();
    a.L = cut;
    a.y = y2.data();
    be->selective_scan(a);
    a.L = L - cut;
    a.u += cut * E;
    a.delta += cut * E;
    a.z += cut * E;
    a.B += cut * N;
    a.C += cut * N;
    a.y = y2.data() + cut * E;
    be->selective_scan(a);
    EXPECT_EQ(0, std::memcmp(y2.data(), y.data(), y2.size() * 4))
        << "chunked scan differs from one pass";
}

TEST_P(OpsParity, HyenaFftConvEqualsDirectConv) {
    const std::int64_t L = s.L, D = s.E, F = 8;
    auto x0 = rand_vec(rng, L * D, -1, 1), w = rand_vec(rng, L * D, -1, 1),
         basis = rand_vec(rng, L * F, -1, 1);
    auto fw = rand_vec(rng, D * F, -0.5, 0.5), t = rand_vec(rng, L, 0, 1),
         deltas = rand_vec(rng, D, -15, -3);
    auto b = rand_vec(rng, D, -1, 1);
    for (bool modulate : {true, false}) {
        Guarded y(L * D), y_ref(L * D);
        HyenaConvArgs a{.L = L,
                        .D = D,
                        .F = F,
                        .x0 = x0.data(),
                        .w = w.data(),
                        .basis = basis.data(),
                        .filter_w = fw.data(),
                        .t = t.data(),
                        .deltas = modulate ? deltas.data() : nullptr,
                        .shift = 0.05f,
                        .bias = b.data(),
                        .y = y.data()};
        be->hyena_conv(a);
        a.y = y_ref.data();
        ref->hyena_conv(a);
        EXPECT_TRUE(y.intact()) << "out-of-bounds write detected by sentinels";
        EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), L * D), 1e-5);
    }
    // In place (y aliases x0), as the model calls it.
    std::vector<float> inplace = x0;
    HyenaConvArgs a{.L = L,
                    .D = D,
                    .F = F,
                    .x0 = inplace.data(),
                    .w = w.data(),
                    .basis = basis.data(),
                    .filter_w = fw.data(),
                    .t = t.data(),
                    .deltas = deltas.data(),
                    .shift = 0.05f,
                    .bias = b.data(),
                    .y = inplace.data()};
    be->hyena_conv(a);
    Guarded y_ref(L * D);
    a.x0 = x0.data();
    a.y = y_ref.data();
    ref->hyena_conv(a);
    EXPECT_LE(test::rel_l2(inplace.data(), y_ref.data(), L * D), 1e-5);
}

TEST_P(OpsParity, GeluTanh) {
    const std::int64_t n = s.L * s.E;
    auto x = rand_vec(rng, n, -6, 6), x_ref = x;
    be->gelu_tanh_inplace(x.data(), n);
    ref->gelu_tanh_inplace(x_ref.data(), n);
    EXPECT_LE(test::rel_l2(x.data(), x_ref.data(), n), 1e-6);
}

TEST(SinActivation, FastEqualsReferenceInPlaceOrNot) {
    test::Rng rng(9);
    const std::int64_t R = 1000, C = 64;
    auto x = rand_vec(rng, R * C, -3, 3), freq = rand_vec(rng, C, 0.5, 20);
    std::vector<float> y(x.size()), y_ref(x.size()), inplace = x;
    test::backend("cpu").sin_activation(x.data(), freq.data(), R, C, y.data());
    test::backend("cpu-ref").sin_activation(x.data(), freq.data(), R, C, y_ref.data());
    test::backend("cpu").sin_activation(inplace.data(), freq.data(), R, C, inplace.data());
    EXPECT_LE(test::rel_l2(y.data(), y_ref.data(), R * C), 1e-6);
    EXPECT_EQ(y, inplace);
    EXPECT_FLOAT_EQ(y[5 * C + 3], std::sin(freq[3] * x[5 * C + 3]));
}

TEST(HyenaGates, SplitAndMultiplyTheShortConvOutputOnBothCpuBackends) {
    test::Rng rng(10);
    const std::int64_t n = 777, D = 24;
    const auto uc = rand_vec(rng, n * 3 * D, -2, 2);
    for (const char* name : {"cpu", "cpu-ref"}) {
        std::vector<float> x0(static_cast<size_t>(n * D)), w(x0.size());
        test::backend(name).hyena_gates(uc.data(), n, D, x0.data(), w.data());
        for (const std::int64_t t : {std::int64_t{0}, std::int64_t{5}, n - 1})
            for (const std::int64_t d : {std::int64_t{0}, D - 1}) {
                const float* u = uc.data() + t * 3 * D;
                EXPECT_EQ(x0[static_cast<size_t>(t * D + d)], u[d]) << name;
                EXPECT_EQ(w[static_cast<size_t>(t * D + d)], u[2 * D + d] * u[D + d]) << name;
            }
    }
}

TEST(LayoutOps, CopyBlocksWithFlipsAndStridesAndMultiply) {
    const std::int64_t rows = 5, cols = 3, ld_src = 7, ld_dst = 4;
    std::vector<float> src(static_cast<size_t>(rows * ld_src));
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
    for (const char* name : {"cpu", "cpu-ref"})
        for (const bool fr : {false, true})
            for (const bool fc : {false, true}) {
                std::vector<float> dst(static_cast<size_t>(rows * ld_dst), -1.0f);
                test::backend(name).copy_block({.rows = rows,
                                                .cols = cols,
                                                .src = src.data() + 2,
                                                .ld_src = ld_src,
                                                .dst = dst.data(),
                                                .ld_dst = ld_dst,
                                                .flip_rows = fr,
                                                .flip_cols = fc});
                for (std::int64_t r = 0; r < rows; ++r) {
                    for (std::int64_t c = 0; c < cols; ++c)
                        EXPECT_EQ(dst[static_cast<size_t>(r * ld_dst + c)],
                                  src[static_cast<size_t>((fr ? rows - 1 - r : r) * ld_src + 2 +
                                                          (fc ? cols - 1 - c : c))])
                            << name << fr << fc;
                    EXPECT_EQ(dst[static_cast<size_t>(r * ld_dst + cols)], -1.0f);  // untouched
                }
            }
    std::vector<float> x = {1, 2, 3}, y = {4, 5, -6}, up(3);
    test::backend("cpu").mul_inplace(x.data(), y.data(), 3);
    EXPECT_EQ(x, (std::vector<float>{4, 10, -18}));
    test::backend("cpu").upload(x.data(), up.data(), 3);
    EXPECT_EQ(up, x);
}

TEST(CpuActivations, AreHostMemoryThatOpsDownloadAndZero) {
    for (const char* name : {"cpu", "cpu-ref"}) {
        Backend& be = test::backend(name);
        const Tensor a = be.activation({3, 5});
        EXPECT_EQ(a.device(), Device::kCpu);
        EXPECT_EQ(a.shape(), (std::vector<std::int64_t>{3, 5}));
        for (std::int64_t i = 0; i < 15; ++i) a.f32()[i] = static_cast<float>(i);
        be.zero(a.f32() + 5, 5);
        std::vector<float> host(15, -1.0f);
        be.download(a.f32(), host.data(), 15);
        for (std::int64_t i = 0; i < 15; ++i)
            EXPECT_EQ(host[static_cast<size_t>(i)],
                      i >= 5 && i < 10 ? 0.0f : static_cast<float>(i));
    }
}

TEST(LongConvFftSize, TwiceTheLengthUnlessThatHasALargePrimeFactor) {
    EXPECT_EQ(long_conv_fft_size(300), 600);  // the golden cases keep the reference's 2L
    EXPECT_EQ(long_conv_fft_size(1000), 2000);
    EXPECT_EQ(long_conv_fft_size(1 << 20), 1 << 21);
    EXPECT_EQ(long_conv_fft_size(1), 2);
    // 2 · 1,000,002 = 4 · 3 · 166,667 (prime): the next 7-smooth length instead.
    const std::int64_t n = long_conv_fft_size(1000002);
    EXPECT_GT(n, 2000004);
    EXPECT_LT(n, 2000004 + 1000);
    for (std::int64_t L : {1LL, 7LL, 1001LL, 32771LL, 1000002LL, 4194311LL}) {
        std::int64_t m = long_conv_fft_size(L);
        EXPECT_GE(m, 2 * L);  // exact linear convolution
        for (std::int64_t p : {2, 3, 5, 7})
            while (m % p == 0) m /= p;
        EXPECT_EQ(m, 1) << L;
    }
}

// bfloat16 storage (SelectiveScanArgs::bf16): inputs and output rounded to bfloat16 with fp32
// arithmetic, the CPU oracle of the CUDA bf16 kernel.
TEST(SelectiveScanBf16, WithinBf16PrecisionOfFp32AndTheSameOnBothCpuBackends) {
    test::Rng rng(3);
    const std::int64_t L = 300, E = 37, N = 16, ld_y = E + 3;
    auto u = rand_vec(rng, L * E, -2, 2), dt = rand_vec(rng, L * E, -4, 1),
         z = rand_vec(rng, L * E, -3, 3), A = rand_vec(rng, E * N, -8, -0.5),
         Bm = rand_vec(rng, L * N, -1, 1), Cm = rand_vec(rng, L * N, -1, 1),
         D = rand_vec(rng, E, 0.5, 1.5);
    auto run = [&](const char* backend, bool bf16) {
        std::vector<float> y(static_cast<size_t>(L * ld_y), 7.0f);
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
                            .z = z.data(),
                            .ld_z = E,
                            .y = y.data(),
                            .ld_y = ld_y,
                            .bf16 = bf16};
        test::backend(backend).selective_scan(a);
        return y;
    };
    const auto f32 = run("cpu", false), b16 = run("cpu", true), b16_ref = run("cpu-ref", true);
    const double err = test::rel_l2(b16.data(), f32.data(), L * ld_y);
    EXPECT_LE(err, 1e-2);
    EXPECT_GT(err, 1e-5) << "inputs were not rounded";
    EXPECT_LE(test::rel_l2(b16.data(), b16_ref.data(), L * ld_y), 4e-3);
    for (std::int64_t t = 0; t < L; ++t) {
        for (std::int64_t e = E; e < ld_y; ++e) ASSERT_EQ(b16[t * ld_y + e], 7.0f);  // padding
        for (std::int64_t e = 0; e < E; ++e) {  // every output is a bfloat16 value
            std::uint32_t bits = 0;
            std::memcpy(&bits, &b16[t * ld_y + e], 4);
            ASSERT_EQ(bits & 0xffffu, 0u);
        }
    }
}

// Shapes: L = 1, odd E (tail lanes), the golden model (E 128), a larger model (E 512).
INSTANTIATE_TEST_SUITE_P(Cpu,
                         OpsParity,
                         ::testing::Combine(::testing::Values("cpu"),
                                            ::testing::Values(Shape{1, 8, 16},
                                                              Shape{37, 129, 16},
                                                              Shape{300, 128, 16},
                                                              Shape{64, 512, 4},
                                                              Shape{5, 3, 1})),
                         [](const auto& pinfo) {
                             const Shape& sh = std::get<1>(pinfo.param);
                             return std::get<0>(pinfo.param) + "_L" + std::to_string(sh.L) + "_E" +
                                    std::to_string(sh.E) + "_N" + std::to_string(sh.N);
                         });

}  // namespace
}  // namespace dnassm
