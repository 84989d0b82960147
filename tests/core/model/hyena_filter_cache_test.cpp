// The CPU backend keeps a Hyena layer's filter spectra across windows of one length
// (model/hyena_filter_cache.h). A kept spectrum must give exactly the outputs of one computed
// afresh, and must never outlive the weights (a trainer changes them in place) or the taps
// (exact tiling truncates the filters) it was computed from.
#include "model/hyena_filter_cache.h"

#include <cstring>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "dnassm/model.h"

#include "model/hyena.h"
#include "test_util.h"

namespace dnassm {
namespace {

const std::string kModel = "/golden/hyenadna_tiny1k_L300";

std::vector<std::int32_t> random_ids(std::int64_t L, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::int32_t> ids(static_cast<size_t>(L));
    for (auto& id : ids) id = 7 + static_cast<std::int32_t>(rng() % 4);
    return ids;
}

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.numel() == b.numel() &&
           std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

TEST(HyenaFilterCache, KeptSpectraGiveTheOutputsOfFreshOnesBitForBit) {
    auto model = Model::load(test::data_dir() + kModel);
    auto be = make_backend("cpu");
    ASSERT_TRUE(be->caches_hyena_filters());
    const auto a = random_ids(300, 1), b = random_ids(211, 2);
    const Tensor first = model->forward(*be, a, nullptr);  // computes and keeps L = 300
    const Tensor other = model->forward(*be, b, nullptr);  // and L = 211
    const Tensor again = model->forward(*be, a, nullptr);  // from the kept spectrum
    EXPECT_TRUE(same_bits(first, again));
    // A model that has kept nothing gives the same for L = 211.
    auto fresh = Model::load(test::data_dir() + kModel);
    EXPECT_TRUE(same_bits(fresh->forward(*be, b, nullptr), model->forward(*be, b, nullptr)));
    (void)other;
    // The reference backend, which keeps nothing, agrees to rounding.
    auto ref = make_backend("cpu-ref");
    ASSERT_FALSE(ref->caches_hyena_filters());
    const Tensor want = model->forward(*ref, a, nullptr);
    EXPECT_LE(test::rel_l2(again.f32(), want.f32(), want.numel()), 1e-5);
}

TEST(HyenaFilterCache, WindowsSideBySideShareOneSpectrum) {
    auto model = Model::load(test::data_dir() + kModel);
    auto be = make_backend("cpu");
    const auto ids = random_ids(300, 3);
    const Tensor want = Model::load(test::data_dir() + kModel)->forward(*be, ids, nullptr);
    std::vector<Tensor> got(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < got.size(); ++i)
        threads.emplace_back([&, i] { got[i] = model->forward(*be, ids, nullptr); });
    for (auto& t : threads) t.join();
    for (const Tensor& h : got) EXPECT_TRUE(same_bits(h, want));
}

TEST(HyenaFilterCache, WeightsChangedInPlaceAndTruncatedTapsAreNeverServedStale) {
    auto model = Model::load(test::data_dir() + kModel);
    auto be = make_backend("cpu");
    const auto ids = random_ids(300, 4);
    const Tensor before = model->forward(*be, ids, nullptr);
    // As a trainer does: the filter's weights changed through the shared parameter tensors.
    auto change = [](Model& m) {
        auto& hyena = dynamic_cast<HyenaModel&>(m);
        for (const char* name : {"layers.0.mixer.filter_fn.implicit_filter.1.freq",
                                 "layers.1.mixer.filter_fn.implicit_filter.6.weight"}) {
            const Tensor t = hyena.parameters().at(name);
            for (std::int64_t i = 0; i < t.numel(); ++i) t.f32()[i] *= 1.25f;
        }
    };
    change(*model);
    const Tensor after = model->forward(*be, ids, nullptr);
    auto fresh = Model::load(test::data_dir() + kModel);
    change(*fresh);
    EXPECT_FALSE(same_bits(after, before));
    EXPECT_TRUE(same_bits(after, fresh->forward(*be, ids, nullptr)));
    // Exact tiling's truncated filters: a spectrum of the whole filters is not reused.
    (void)model->limit_context(200);
    (void)fresh->limit_context(200);
    auto untouched = Model::load(test::data_dir() + kModel);
    change(*untouched);
    (void)untouched->limit_context(200);
    const Tensor truncated = model->forward(*be, ids, nullptr);
    EXPECT_FALSE(same_bits(truncated, after));
    EXPECT_TRUE(same_bits(truncated, untouched->forward(*be, ids, nullptr)));
}

TEST(HyenaFilterCache, KeepsWithinItsBudgetAndDropsSpectraOfOtherWeights) {
    HyenaFilterCache cache(1000);
    EXPECT_TRUE(cache.has_room(7, 800));
    cache.keep(10, 7, std::vector<float>(200));  // 800 bytes
    ASSERT_NE(cache.find(10, 7), nullptr);
    EXPECT_EQ(cache.find(10, 8), nullptr);  // other weights
    EXPECT_EQ(cache.find(11, 7), nullptr);  // another length
    // A long window's spectrum would not fit: it is not asked for, and not kept if given.
    EXPECT_FALSE(cache.has_room(7, 400));
    cache.keep(11, 7, std::vector<float>(100));
    EXPECT_EQ(cache.find(11, 7), nullptr);
    // New weights: the old spectra go, and the budget is theirs again.
    EXPECT_TRUE(cache.has_room(8, 1000));
    cache.keep(11, 8, std::vector<float>(250));
    EXPECT_EQ(cache.find(10, 7), nullptr);
    EXPECT_EQ(cache.find(10, 8), nullptr);
    ASSERT_NE(cache.find(11, 8), nullptr);
    EXPECT_EQ(cache.find(11, 8)->size(), 250u);
}

}  // namespace
}  // namespace dnassm
