// Whole golden models on CUDA against the CPU: hidden states, the pipelined window runner, stream
// states carried between devices, and a few AdamW training steps (issues C1, C2, F).

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cuda_parity.h"
#include "train/adamw.h"
#include "train/masked_lm.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

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
