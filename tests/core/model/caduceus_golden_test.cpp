// Parity with the official Caduceus code (modeling_caduceus.py / modeling_rcps.py, golden files
// copied to tests/data/golden): embeddings, every block's residual stream, final hidden states
// (the official [fwd | rc] layout for PS) and logits, on cpu and cpu-ref; and PS's reverse-
// complement equivariance on real sequence.
#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"

#include "golden_case.h"
#include "model/caduceus.h"
#include "test_util.h"

namespace dnassm {
namespace {

using test::GoldenCase;
constexpr double kTol = test::kGoldenTol;

class CaduceusGolden : public test::GoldenTest {};

TEST_P(CaduceusGolden, EmbeddingsLayersHiddenLogits) {
    auto model = Model::load(dir());
    auto be = make_backend(GetParam().backend);
    const auto& cad = dynamic_cast<const CaduceusModel&>(*model);
    const Tensor ids = ref("input_ids.npy");
    const std::int64_t L = ids.dim(1), W = model->info().d_model, V = model->info().vocab_size;
    const std::span<const std::int32_t> span(ids.data<std::int32_t>(), static_cast<size_t>(L));
    const Tensor emb = cad.embed(span);
    ASSERT_EQ(emb.dim(1), ref("embeddings.npy").dim(2));
    EXPECT_LE(test::rel_l2(emb.f32(), ref("embeddings.npy").f32(), L * W), 1e-7);
    std::vector<Tensor> layers;
    const Tensor hidden = model->forward(*be, span, nullptr, &layers);
    ASSERT_EQ(layers.size(), 2u);
    for (size_t i = 0; i < layers.size(); ++i)
        ASSERT_LE(
            test::rel_l2(layers[i].f32(), ref("layer" + std::to_string(i) + ".npy").f32(), L * W),
            kTol)
            << "first diverging block: layer " << i;
    EXPECT_LE(test::rel_l2(hidden.f32(), ref("hidden.npy").f32(), L * W), kTol);
    const Tensor logits = model->logits(*be, hidden);
    EXPECT_LE(test::rel_l2(logits.f32(), ref("logits.npy").f32(), L * V), kTol);
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         CaduceusGolden,
                         ::testing::Values(GoldenCase{"caduceus_ph_L1024_B1", "cpu"},
                                           GoldenCase{"caduceus_ps_L1024_B1", "cpu"},
                                           GoldenCase{"caduceus_ps_L1024_B1", "cpu-ref"}),
                         [](const auto& p) {
                             return p.param.name.substr(9, 2) + "_" +
                                    (p.param.backend == "cpu" ? "cpu" : "cpu_ref");
                         });

TEST(CaduceusModelInfo, CountsTiedTensorsOnce) {
    // The golden README: 82,624 unique learnable scalars (PS); Ph has the same tensors.
    EXPECT_EQ(Model::load(test::data_dir() + "/golden/caduceus_ps_L1024_B1")->info().n_params,
              82624);
    EXPECT_EQ(Model::load(test::data_dir() + "/golden/caduceus_ps_L1024_B1")->info().d_model, 128);
    EXPECT_EQ(Model::load(test::data_dir() + "/golden/caduceus_ph_L1024_B1")->info().d_model, 64);
}

TEST(CaduceusEquivariance, PsOutputOfReverseComplementIsTheFlippedOutput) {
    const std::string dir = test::data_dir() + "/golden/caduceus_ps_L1024_B1";
    auto model = Model::load(dir);
    auto be = make_backend("cpu");
    const Tensor ids = read_npy(dir + "/input_ids.npy");  // real phage lambda sequence
    const std::int64_t L = ids.dim(1), W = model->info().d_model, V = model->info().vocab_size;
    std::vector<std::int32_t> x(ids.data<std::int32_t>(), ids.data<std::int32_t>() + L),
        rc(x.rbegin(), x.rend());
    for (auto& id : rc) id = id == 7 ? 10 : id == 10 ? 7 : id == 8 ? 9 : id == 9 ? 8 : id;
    const Tensor h = model->forward(*be, x, nullptr), hr = model->forward(*be, rc, nullptr);
    // F: flip over length and channels, over the full 2·d width.
    double worst = 0, scale = 0;
    for (std::int64_t t = 0; t < L; ++t)
        for (std::int64_t c = 0; c < W; ++c) {
            worst = std::max<double>(
                worst, std::fabs(hr.f32()[t * W + c] - h.f32()[(L - 1 - t) * W + (W - 1 - c)]));
            scale = std::max<double>(scale, std::fabs(h.f32()[t * W + c]));
        }
    EXPECT_LE(worst / scale, 1e-5) << "hidden(rc x) != F(hidden(x))";
    // Logits: the reverse strand's prediction at t is the complement of the forward one at L−1−t.
    const Tensor lg = model->logits(*be, h), lgr = model->logits(*be, hr);
    const int comp[4] = {10, 9, 8, 7};
    for (std::int64_t t = 0; t < L; t += 97)
        for (int k = 0; k < 4; ++k)
            EXPECT_NEAR(lgr.f32()[t * V + 7 + k], lg.f32()[(L - 1 - t) * V + comp[k]], 1e-4);
}

}  // namespace
}  // namespace dnassm
