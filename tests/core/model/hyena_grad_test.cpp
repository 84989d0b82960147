// Whole-model gradient check of HyenaDNA: the LM loss gradient w.r.t. every parameter tensor
// (sampled elements, including the implicit filter's Sin MLP and shared frequency) against
// central finite differences on the golden tiny model; the fast path against the reference;
// checkpointing; and save -> load giving the same model.
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "dnassm/backend.h"
#include "dnassm/io/npy.h"

#include "finite_differences.h"
#include "model/hyena.h"
#include "test_util.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

const std::string kModel = "hyenadna_tiny1k_L300";

struct Loaded {
    std::unique_ptr<Model> model;
    std::unique_ptr<Trainable> trainable;
    Tensor ids;
};

Loaded load() {
    const std::string dir = test::data_dir() + "/golden/" + kModel;
    Loaded l{Model::load(dir), nullptr, read_npy(dir + "/input_ids.npy")};
    l.trainable = make_trainable(*l.model);
    return l;
}

TEST(HyenaModelGrad, EveryParameterMatchesFiniteDifferences) {
    Loaded m = load();
    const std::span<const std::int32_t> ids(m.ids.data<std::int32_t>() + 40, 24);
    std::map<std::string, Tensor> grads;
    const double loss = lm_loss(*m.trainable, ids, &grads, test::backend("cpu-ref"));
    EXPECT_GT(loss, 0.0);
    auto params = m.trainable->parameters();
    EXPECT_TRUE(params.count("layers.1.mixer.filter_fn.implicit_filter.1.freq"));
    test::expect_gradients_match_finite_differences(
        params, grads,
        [&] { return lm_loss(*m.trainable, ids, nullptr, test::backend("cpu-ref")); }, 5, 7,
        [&](const std::string& name, const Tensor& t, int k, std::int64_t idx) {
            // Embedding rows only get gradient for tokens present; sample those rows.
            return name == "embeddings.word_embeddings.weight"
                       ? ids[static_cast<size_t>(k)] * t.dim(1) + idx % t.dim(1)
                       : idx;
        });
}

TEST(HyenaModelGrad, FastPathMatchesReference) {
    Loaded m = load();
    const std::span<const std::int32_t> ids(m.ids.data<std::int32_t>(), 300);
    std::map<std::string, Tensor> ref, fast;
    const double l_ref = lm_loss(*m.trainable, ids, &ref, test::backend("cpu-ref"));
    const double l_fast = lm_loss(*m.trainable, ids, &fast, test::backend("cpu"));
    EXPECT_NEAR(l_ref, l_fast, 1e-5 * l_ref);
    ASSERT_EQ(ref.size(), fast.size());
    for (const auto& [name, g] : ref)
        EXPECT_LE(test::rel_l2(fast.at(name).f32(), g.f32(), g.numel()), 1e-4) << name;
}

TEST(HyenaModelGrad, TapeHiddenEqualsInferenceForward) {
    Loaded m = load();
    const std::span<const std::int32_t> ids(m.ids.data<std::int32_t>(), 300);
    auto be = make_backend("cpu");
    const Tensor h = m.model->forward(*be, ids, nullptr, nullptr);
    const auto tape = m.trainable->forward(ids, test::backend("cpu"), false);
    EXPECT_LE(test::rel_l2(tape->hidden.f32(), h.f32(), h.numel()), 1e-6);
}

TEST(HyenaModelGrad, CheckpointedGradientsEqualStoredOnes) {
    Loaded m = load();
    const std::span<const std::int32_t> ids(m.ids.data<std::int32_t>(), 200);
    std::map<std::string, Tensor> stored, recomputed;
    EXPECT_EQ(lm_loss(*m.trainable, ids, &stored, test::backend("cpu"), false),
              lm_loss(*m.trainable, ids, &recomputed, test::backend("cpu"), true));
    ASSERT_EQ(stored.size(), recomputed.size());
    for (const auto& [name, g] : stored)
        EXPECT_EQ(
            0, std::memcmp(g.f32(), recomputed.at(name).f32(), static_cast<size_t>(g.numel()) * 4))
            << name;
}

TEST(HyenaModelSave, SavedModelLoadsBackToTheSameOutputs) {
    Loaded m = load();
    const std::string out = ::testing::TempDir() + "/hyena_saved";
    std::filesystem::remove_all(out);
    m.trainable->save(out, {{"note", "test"}});
    auto again = Model::load(out);
    EXPECT_EQ(again->info().family, "hyena");
    EXPECT_EQ(again->info().format, "dnassm");
    const std::span<const std::int32_t> ids(m.ids.data<std::int32_t>(), 300);
    auto be = make_backend("cpu");
    const Tensor a = m.model->forward(*be, ids, nullptr, nullptr);
    const Tensor b = again->forward(*be, ids, nullptr, nullptr);
    ASSERT_EQ(a.numel(), b.numel());
    // Not bit-equal: the golden file stores torch's float z/t, the saved model recomputes them by
    // the formula in double (the two differ in the last bit).
    EXPECT_LE(test::rel_l2(a.f32(), b.f32(), a.numel()), 1e-6);
    const auto pa = m.trainable->parameters();
    const auto pb = make_trainable(*again)->parameters();
    EXPECT_EQ(pa.size(), pb.size());
}

}  // namespace
}  // namespace dnassm
