// Autocast's bfloat16 GEMMs on the CPU backends (Backend::set_bf16_gemms, `--bf16` training):
// the rounding (checked by arithmetic, not by bits), linear and linear_backward as fp32 GEMMs of
// rounded inputs with the bias sums from the fp32 gradient, and a training step that stays close
// to fp32 without being it.
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/backend.h"
#include "dnassm/io/npy.h"
#include "dnassm/model.h"

#include "common/bf16_round.h"
#include "test_util.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

// Nearest bfloat16 (8 significant bits, ties to even) by floating-point arithmetic.
float bf16_by_arithmetic(float x) {
    if (x == 0.0f || !std::isfinite(x)) return x;
    int e = 0;
    const double m = std::frexp(static_cast<double>(x), &e);  // |m| in [0.5, 1)
    return static_cast<float>(std::ldexp(std::nearbyint(m * 256.0), e - 8));
}

std::vector<float> rounded(const std::vector<float>& v) {
    std::vector<float> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = bf16_by_arithmetic(v[i]);
    return r;
}

// y{M, ld_y} of a linear op.
std::vector<float> linear_out(Backend& be, LinearArgs a) {
    std::vector<float> y(static_cast<size_t>(a.M * a.ld_y));
    a.y = y.data();
    be.linear(a);
    return y;
}

// a with x and the weight replaced by rounded copies.
LinearArgs with_inputs(LinearArgs a, const std::vector<float>& x, const std::vector<float>& w) {
    a.x = x.data();
    a.weight = w.data();
    return a;
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Bf16Autocast, RoundsToTheNearestBfloat16TiesToEven) {
    test::Rng rng(5);
    for (int i = 0; i < 20000; ++i) {
        const float x = std::ldexp(rng.uniform(-1, 1), static_cast<int>(rng.next() % 60) - 30);
        ASSERT_EQ(round_bf16(x), bf16_by_arithmetic(x)) << x;
    }
    for (int k = 0; k < 128; ++k) {  // exact ties between neighbours 2^-7 apart
        const float tie = 1.0f + std::ldexp(2.0f * static_cast<float>(k) + 1.0f, -8);
        ASSERT_EQ(round_bf16(tie), bf16_by_arithmetic(tie)) << tie;
        ASSERT_EQ(round_bf16(-tie), -bf16_by_arithmetic(tie)) << tie;
    }
    EXPECT_EQ(round_bf16(1.0f + 1.0f / 256.0f), 1.0f);                  // tie: to even
    EXPECT_EQ(round_bf16(1.0f + 3.0f / 256.0f), 1.0f + 4.0f / 256.0f);  // tie: to even
    EXPECT_TRUE(std::isnan(round_bf16(NAN)));
    EXPECT_EQ(round_bf16(INFINITY), INFINITY);
}

class Bf16Gemms : public ::testing::TestWithParam<std::string> {};

TEST_P(Bf16Gemms, AreFp32GemmsOfRoundedInputsWithFp32BiasSums) {
    const std::int64_t M = 37, K = 29, N = 19, ld_x = K + 3, ld_y = N + 2;
    test::Rng rng(11);
    auto x = test::rand_vec(rng, M * ld_x, -2, 2), w = test::rand_vec(rng, N * K, -1, 1),
         b = test::rand_vec(rng, N, -1, 1), dy = test::rand_vec(rng, M * ld_y, -1, 1);
    auto autocast = make_backend(GetParam()), fp32 = make_backend(GetParam());
    autocast->set_bf16_gemms(true);
    ASSERT_TRUE(autocast->bf16_gemms());
    const LinearArgs a{.M = M,
                       .K = K,
                       .N = N,
                       .x = x.data(),
                       .ld_x = ld_x,
                       .weight = w.data(),
                       .bias = b.data(),
                       .ld_y = ld_y};
    const auto xr = rounded(x), wr = rounded(w), dyr = rounded(dy);
    const LinearArgs ar = with_inputs(a, xr, wr);
    const auto y = linear_out(*autocast, a), y_fp32 = linear_out(*fp32, a);
    EXPECT_TRUE(same(y, linear_out(*fp32, ar)));
    EXPECT_FALSE(same(y, y_fp32)) << "autocast changed nothing";
    EXPECT_LT(test::rel_l2(y.data(), y_fp32.data(), M * ld_y), 1e-2);

    std::vector<float> dx(M * ld_x, 0.5f), dw(N * K, 0.25f), db(N, 0.125f);
    std::vector<float> dx_want = dx, dw_want = dw, db_want = db;
    autocast->linear_backward(a, dy.data(), dx.data(), dw.data(), db.data());
    fp32->linear_backward(ar, dyr.data(), dx_want.data(), dw_want.data(), nullptr);
    fp32->linear_backward(a, dy.data(), nullptr, nullptr, db_want.data());
    EXPECT_TRUE(same(dx, dx_want));
    EXPECT_TRUE(same(dw, dw_want));
    EXPECT_TRUE(same(db, db_want));

    autocast->set_bf16_gemms(false);  // and off again
    EXPECT_TRUE(same(linear_out(*autocast, a), y_fp32));
}

// Past one row block (4,096 rows) of the emulation: rows are still the fp32 GEMM's of rounded
// inputs bit for bit; dweight, summed block by block, agrees to fp32 rounding.
TEST(Bf16Autocast, LongInputsAreRoundedInRowBlocks) {
    const std::int64_t M = 9001, K = 24, N = 17;
    test::Rng rng(3);
    auto x = test::rand_vec(rng, M * K, -2, 2), w = test::rand_vec(rng, N * K, -1, 1),
         dy = test::rand_vec(rng, M * N, -1, 1);
    auto autocast = make_backend("cpu"), fp32 = make_backend("cpu");
    autocast->set_bf16_gemms(true);
    const auto xr = rounded(x), wr = rounded(w), dyr = rounded(dy);
    const LinearArgs a{
        .M = M, .K = K, .N = N, .x = x.data(), .ld_x = K, .weight = w.data(), .ld_y = N};
    const LinearArgs ar = with_inputs(a, xr, wr);
    EXPECT_TRUE(same(linear_out(*autocast, a), linear_out(*fp32, ar)));
    std::vector<float> dx(M * K, 0.0f), dw(N * K, 0.0f), dx_want = dx, dw_want = dw;
    autocast->linear_backward(a, dy.data(), dx.data(), dw.data(), nullptr);
    fp32->linear_backward(ar, dyr.data(), dx_want.data(), dw_want.data(), nullptr);
    EXPECT_TRUE(same(dx, dx_want));
    EXPECT_LT(test::rel_l2(dw.data(), dw_want.data(), N * K), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(CpuBackends, Bf16Gemms, ::testing::Values("cpu", "cpu-ref"));

TEST(Bf16Autocast, MambaTrainingStepStaysCloseToFp32) {
    const std::string dir = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    const std::vector<std::int32_t> ids = test::golden_ids(dir, 512);
    auto model = Model::load(dir);
    auto trainable = make_trainable(*model);
    auto be = make_backend("cpu");
    std::map<std::string, Tensor> g32, g16;
    const double l32 = lm_loss(*trainable, ids, &g32, *be);
    double l16 = 0;
    {
        const Bf16Autocast autocast(*be, true);
        l16 = lm_loss(*trainable, ids, &g16, *be);
    }
    EXPECT_FALSE(be->bf16_gemms()) << "the scope ends autocast";
    EXPECT_NE(l16, l32);
    EXPECT_NEAR(l16, l32, 1e-2 * l32);
    ASSERT_EQ(g16.size(), g32.size());
    for (const auto& [name, t] : g32)
        EXPECT_LT(test::rel_l2(g16.at(name).f32(), t.f32(), t.numel()), 5e-2) << name;
}

}  // namespace
}  // namespace dnassm
