// Whole-model gradient check: the Mamba LM loss gradient w.r.t. every parameter tensor (sampled
// elements) against central finite differences, on the golden models (RMSNorm and LayerNorm).
#include <cstring>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"

#include "finite_differences.h"
#include "model/mamba.h"
#include "test_util.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

class MambaModelGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(MambaModelGrad, EveryParameterMatchesFiniteDifferences) {
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto loaded = Model::load(dir);
    const auto& model = dynamic_cast<const MambaModel&>(*loaded);
    const auto trainable = make_trainable(*loaded);
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::span<const std::int32_t> ids(all.data<std::int32_t>() + 100, 24);
    std::map<std::string, Tensor> grads;
    const double loss = lm_loss(*trainable, ids, &grads, test::backend("cpu-ref"));
    EXPECT_GT(loss, 0.0);

    // The tensors the gradients refer to, by the same names.
    std::map<std::string, Tensor> params{{"embedding.weight", model.embedding()},
                                         {"norm_f.weight", model.norm_f_weight()}};
    if (!model.norm_f_bias().empty()) params["norm_f.bias"] = model.norm_f_bias();
    for (std::int64_t i = 0; i < model.config().n_layer; ++i) {
        const auto& l = model.layer(i);
        const std::string p = "layers." + std::to_string(i) + ".", q = p + "mixer.";
        params[p + "norm.weight"] = l.norm_w;
        if (!l.norm_b.empty()) params[p + "norm.bias"] = l.norm_b;
        params[q + "in_proj.weight"] = l.mixer.in_proj_w;
        params[q + "conv1d.weight"] = l.mixer.conv_w;
        params[q + "conv1d.bias"] = l.mixer.conv_b;
        params[q + "x_proj.weight"] = l.mixer.x_proj_w;
        params[q + "dt_proj.weight"] = l.mixer.dt_proj_w;
        params[q + "dt_proj.bias"] = l.mixer.dt_proj_b;
        params[q + "A"] = l.mixer.A;
        params[q + "D"] = l.mixer.D;
        params[q + "out_proj.weight"] = l.mixer.out_proj_w;
    }
    test::expect_gradients_match_finite_differences(
        params, grads, [&] { return lm_loss(*trainable, ids, nullptr, test::backend("cpu-ref")); },
        6, 99,
        [&](const std::string& name, const Tensor& t, int k, std::int64_t idx) {
            // Embedding rows only get gradient for tokens present; sample those rows.
            return name == "embedding.weight" ? ids[k] * t.dim(1) + idx % t.dim(1) : idx;
        });
}

TEST_P(MambaModelGrad, FastPathMatchesReference) {
    auto loaded = Model::load(test::data_dir() + "/golden/" + GetParam());
    const auto trainable = make_trainable(*loaded);
    const Tensor all = read_npy(test::data_dir() + "/golden/" + GetParam() + "/input_ids.npy");
    const std::span<const std::int32_t> ids(all.data<std::int32_t>(), 300);
    std::map<std::string, Tensor> ref, fast;
    const double l_ref = lm_loss(*trainable, ids, &ref, test::backend("cpu-ref"));
    const double l_fast = lm_loss(*trainable, ids, &fast, test::backend("cpu"));
    EXPECT_NEAR(l_ref, l_fast, 1e-5 * l_ref);
    for (const auto& [name, g] : ref)
        EXPECT_LE(test::rel_l2(fast.at(name).f32(), g.f32(), g.numel()), 1e-4) << name;
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         MambaModelGrad,
                         ::testing::Values("mamba1_rmsnorm_L2048_B2", "mamba1_layernorm_L2048_B2"));

}  // namespace
}  // namespace dnassm

namespace dnassm {
namespace {

TEST(MambaRecompute, CheckpointedGradientsEqualStoredOnes) {
    const std::string dir = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    auto loaded = Model::load(dir);
    const auto trainable = make_trainable(*loaded);
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::span<const std::int32_t> ids(all.data<std::int32_t>(), 500);
    std::map<std::string, Tensor> stored, recomputed;
    const double l1 = lm_loss(*trainable, ids, &stored, test::backend("cpu"), false);
    const double l2 = lm_loss(*trainable, ids, &recomputed, test::backend("cpu"), true);
    EXPECT_EQ(l1, l2);
    ASSERT_EQ(stored.size(), recomputed.size());
    for (const auto& [name, g] : stored)
        EXPECT_EQ(
            0, std::memcmp(g.f32(), recomputed.at(name).f32(), static_cast<size_t>(g.numel()) * 4))
            << name;
}

}  // namespace
}  // namespace dnassm
