// Caduceus (Ph and PS) training gradients: the tape reproduces the model's forward, the gradient
// of a fixed projection of the hidden states w.r.t. every parameter tensor (sampled elements,
// A_log through A = −exp(A_log), tied projections, the PS embedding's reverse half) matches
// central finite differences, and the fast path matches the reference.
#include <gtest/gtest.h>

#include "dnassm/backend.h"
#include "dnassm/io/npy.h"

#include "finite_differences.h"
#include "model/caduceus.h"
#include "test_util.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

class CaduceusGrad : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        const std::string dir = test::data_dir() + "/golden/" + GetParam();
        model_ = Model::load(dir);
        trainable_ = make_trainable(*model_);
        all_ = read_npy(dir + "/input_ids.npy");
    }
    // loss = Σ hidden ⊙ R with R fixed and non-zero at 12 places only (fewer float rounding errors
    // summed into the finite differences); with grads, d/dparameter (optimiser keys) for every
    // parameter.
    double loss(std::span<const std::int32_t> ids,
                std::map<std::string, Tensor>* grads,
                bool reference) {
        const auto tape =
            trainable_->forward(ids, test::backend(reference ? "cpu-ref" : "cpu"), false);
        const Tensor& h = tape->hidden;
        if (weights_.numel() != h.numel()) {
            weights_ = Tensor(h.shape());
            test::Rng rng(5);
            for (int k = 0; k < 12; ++k)
                weights_.f32()[rng.next() % static_cast<std::uint64_t>(h.numel())] =
                    rng.uniform(-1.0f, 1.0f);
        }
        double s = 0;
        for (std::int64_t i = 0; i < h.numel(); ++i)
            s += static_cast<double>(h.f32()[i]) * weights_.f32()[i];
        if (grads) {
            std::map<std::string, Tensor> raw;
            trainable_->backward(*tape, ids, weights_.f32(), raw);
            *grads = trainable_->parameter_grads(std::move(raw),
                                                 test::backend(reference ? "cpu-ref" : "cpu"));
        }
        return s;
    }

    std::unique_ptr<Model> model_;
    std::unique_ptr<Trainable> trainable_;
    Tensor all_, weights_;
};

TEST_P(CaduceusGrad, TapeEqualsForward) {
    const std::span<const std::int32_t> ids(all_.data<std::int32_t>(), 200);
    auto be = make_backend("cpu");
    const Tensor h = model_->forward(*be, ids, nullptr, nullptr);
    for (bool reference : {false, true}) {
        const auto tape =
            trainable_->forward(ids, test::backend(reference ? "cpu-ref" : "cpu"), false);
        ASSERT_EQ(tape->hidden.numel(), h.numel());
        EXPECT_LE(test::rel_l2(tape->hidden.f32(), h.f32(), h.numel()), 1e-5) << reference;
    }
}

TEST_P(CaduceusGrad, EveryParameterMatchesFiniteDifferences) {
    const std::span<const std::int32_t> ids(all_.data<std::int32_t>() + 30, 16);
    std::map<std::string, Tensor> grads;
    loss(ids, &grads, true);
    auto params = trainable_->parameters();
    test::expect_gradients_match_finite_differences(
        params, grads, [&] { return loss(ids, nullptr, true); }, 4, 11,
        [&](const std::string& name, const Tensor& t, int k, std::int64_t idx) {
            return name.find("embedding") != std::string::npos  // rows of tokens present
                       ? ids[static_cast<size_t>(k)] * t.dim(1) + idx % t.dim(1)
                       : idx;
        },
        [&] { trainable_->refresh_derived(); });
}

TEST_P(CaduceusGrad, FastPathMatchesReference) {
    const std::span<const std::int32_t> ids(all_.data<std::int32_t>(), 300);
    std::map<std::string, Tensor> ref, fast;
    loss(ids, &ref, true);
    loss(ids, &fast, false);
    ASSERT_EQ(ref.size(), fast.size());
    for (const auto& [name, g] : ref)
        EXPECT_LE(test::rel_l2(fast.at(name).f32(), g.f32(), g.numel()), 1e-4) << name;
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         CaduceusGrad,
                         ::testing::Values("caduceus_ph_L1024_B1", "caduceus_ps_L1024_B1"));

}  // namespace
}  // namespace dnassm
