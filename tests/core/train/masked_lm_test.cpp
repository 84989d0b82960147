// Masked-LM pretraining (Caduceus): the masking recipe's rates and determinism, the loss against
// the official model's logits (golden), its gradient through the LM head (PS: the reverse half's
// head is the complement's embedding row, channel-flipped) against central finite differences,
// the fast path against the reference, and recomputed activations (--recompute) against stored.
#include "train/masked_lm.h"

#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/tokenizer.h"

#include "finite_differences.h"
#include "test_util.h"
#include "train/caduceus_grad.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

TEST(MaskWindow, ChoosesBasesAtTheRateAndCorruptsThemAsTheRecipeSays) {
    std::vector<std::int32_t> ids(200000);
    test::Rng rng(3);
    for (auto& id : ids) id = rng.next() % 10 == 0 ? token::kN : token::kA + rng.next() % 4;
    const MaskedWindow w = mask_window(ids, 42, 0.15);
    std::int64_t bases = 0, masked = 0, replaced = 0, kept = 0, chosen = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
        if (ids[t] != token::kN) ++bases;
        if (w.targets[t] < 0) {
            EXPECT_EQ(w.input[t], ids[t]) << t;
            continue;
        }
        ++chosen;
        ASSERT_NE(ids[t], token::kN) << "N chosen at " << t;
        EXPECT_EQ(w.targets[t], ids[t]);
        if (w.input[t] == token::kMask) {
            ++masked;
        } else {
            ASSERT_GE(w.input[t], token::kA);
            ASSERT_LE(w.input[t], token::kT);
            ++(w.input[t] == ids[t] ? kept : replaced);
        }
    }
    EXPECT_EQ(chosen, w.chosen);
    const double n = static_cast<double>(chosen);
    EXPECT_NEAR(n / static_cast<double>(bases), 0.15, 0.005);
    EXPECT_NEAR(static_cast<double>(masked) / n, 0.8, 0.01);
    // A random base equals the original a quarter of the time: 10 % · 3/4 replaced.
    EXPECT_NEAR(static_cast<double>(replaced) / n, 0.075, 0.01);
    EXPECT_NEAR(static_cast<double>(kept) / n, 0.125, 0.01);

    const MaskedWindow again = mask_window(ids, 42, 0.15), other = mask_window(ids, 43, 0.15);
    EXPECT_EQ(again.input, w.input);
    EXPECT_EQ(again.targets, w.targets);
    EXPECT_NE(other.targets, w.targets);
}

class MaskedLmLoss : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        dir_ = test::data_dir() + "/golden/" + GetParam();
        model_ = Model::load(dir_);
        trainable_ = make_trainable(*model_);
    }
    std::string dir_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<Trainable> trainable_;
};

// The official model's logits (golden) give the loss of any targets on the golden input.
TEST_P(MaskedLmLoss, EqualsCrossEntropyOfTheOfficialLogits) {
    const std::vector<std::int32_t> ids = test::golden_ids(dir_, 1024);
    const Tensor logits = read_npy(dir_ + "/logits.npy");
    const std::int64_t V = logits.dim(2);
    std::vector<std::int32_t> targets(ids.size(), -1);
    double ref = 0;
    int n = 0;
    for (size_t t = 3; t < ids.size(); t += 7) {
        targets[t] = static_cast<std::int32_t>(token::kA + (t / 7) % 4);
        const float* row = logits.f32() + static_cast<std::int64_t>(t) * V;
        double z = 0;
        for (std::int64_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(row[v]));
        ref -= row[targets[t]] - std::log(z);
        ++n;
    }
    ref /= n;
    for (const char* be : {"cpu", "cpu-ref"})
        EXPECT_NEAR(masked_lm_loss(*trainable_, ids, targets, nullptr, test::backend(be)), ref,
                    1e-4 * ref)
            << be;
    EXPECT_EQ(masked_lm_loss(*trainable_, ids, std::vector<std::int32_t>(ids.size(), -1), nullptr,
                             test::backend("cpu")),
              0.0);
}

TEST_P(MaskedLmLoss, GradientsMatchFiniteDifferences) {
    const std::vector<std::int32_t> ids = test::golden_ids(dir_, 40);
    const std::span<const std::int32_t> window(ids.data() + 20, 20);
    const MaskedWindow m = mask_window(window, 7, 0.5);
    ASSERT_GE(m.chosen, 4);
    auto loss = [&](std::map<std::string, Tensor>* grads) {
        std::map<std::string, Tensor> raw;
        const double l = masked_lm_loss(*trainable_, m.input, m.targets, grads ? &raw : nullptr,
                                        test::backend("cpu-ref"));
        if (grads) *grads = trainable_->parameter_grads(std::move(raw), test::backend("cpu-ref"));
        return l;
    };
    std::map<std::string, Tensor> grads;
    loss(&grads);
    auto params = trainable_->parameters();
    test::expect_gradients_match_finite_differences(
        params, grads, [&] { return loss(nullptr); }, 4, 19,
        [&](const std::string& name, const Tensor& t, int k, std::int64_t idx) {
            // Embedding rows of an input token, and of a special token that only the head uses
            // (for PS, through the reverse half's complement-permuted, channel-flipped copy).
            if (name.find("embedding") == std::string::npos) return idx;
            return (k < 2 ? m.input[static_cast<size_t>(k)] : token::kMask + k) * t.dim(1) +
                   idx % t.dim(1);
        },
        [&] { trainable_->refresh_derived(); });
}

TEST_P(MaskedLmLoss, FastPathMatchesReference) {
    const std::vector<std::int32_t> ids = test::golden_ids(dir_, 300);
    const MaskedWindow m = mask_window(ids, 11, 0.15);
    std::map<std::string, Tensor> ref, fast;
    const double lr =
        masked_lm_loss(*trainable_, m.input, m.targets, &ref, test::backend("cpu-ref"));
    const double lf = masked_lm_loss(*trainable_, m.input, m.targets, &fast, test::backend("cpu"));
    EXPECT_NEAR(lf, lr, 1e-5 * lr);
    ASSERT_EQ(ref.size(), fast.size());
    for (const auto& [name, g] : ref)
        EXPECT_LE(test::rel_l2(fast.at(name).f32(), g.f32(), g.numel()), 1e-4) << name;
}

// --recompute: each layer keeps only its norm inputs and backward recomputes the BiMamba
// activations; the same ops in the same order, so the same bits.
TEST_P(MaskedLmLoss, RecomputedGradientsEqualStoredOnes) {
    const std::vector<std::int32_t> ids = test::golden_ids(dir_, 500);
    const MaskedWindow m = mask_window(ids, 5, 0.15);
    std::map<std::string, Tensor> stored, recomputed;
    auto& be = test::backend("cpu");
    EXPECT_EQ(masked_lm_loss(*trainable_, m.input, m.targets, &stored, be, false),
              masked_lm_loss(*trainable_, m.input, m.targets, &recomputed, be, true));
    ASSERT_EQ(stored.size(), recomputed.size());
    for (const auto& [name, g] : stored)
        EXPECT_EQ(
            0, std::memcmp(g.f32(), recomputed.at(name).f32(), static_cast<size_t>(g.numel()) * 4))
            << name;
    const auto tape = trainable_->forward(m.input, be, true);
    for (const auto& layer : dynamic_cast<const CaduceusTape&>(*tape).layers)
        EXPECT_TRUE(layer.bi.fwd.out.empty()) << "a recomputing tape kept mixer activations";
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         MaskedLmLoss,
                         ::testing::Values("caduceus_ph_L1024_B1", "caduceus_ps_L1024_B1"));

}  // namespace
}  // namespace dnassm
