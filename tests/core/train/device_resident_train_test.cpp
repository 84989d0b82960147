// The trainers' side of keeping activations on a GPU, checked on the CPU with test::FencedBackend:
// every tape tensor and gradient buffer is an activation that host code may not touch outside a
// backend op, so a host access crashes the test. The loss and every parameter gradient must equal
// the plain CPU backend's bit for bit (next-base LM loss for Mamba and HyenaDNA, with and without
// recomputation; a task head on Caduceus Ph and PS).
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"
#include "dnassm/task_head.h"

#include "fenced_backend.h"
#include "test_util.h"
#include "train/adamw.h"
#include "train/finetune.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

using test::golden_ids;

// The fenced run's gradients are the fenced backend's activations (a task head's excepted), so
// they come down through it.
void expect_same_grads(test::FencedBackend& fenced_backend,
                       const std::map<std::string, Tensor>& fenced,
                       const std::map<std::string, Tensor>& cpu) {
    ASSERT_EQ(fenced.size(), cpu.size());
    for (const auto& [name, g] : cpu) {
        ASSERT_TRUE(fenced.count(name)) << name;
        const Tensor& f = fenced.at(name);
        ASSERT_EQ(f.numel(), g.numel()) << name;
        EXPECT_EQ(f.device(), name.rfind("head.", 0) == 0 ? Device::kCpu : Device::kCuda) << name;
        std::vector<float> down(static_cast<size_t>(f.numel()));
        fenced_backend.download(f.f32(), down.data(), f.numel());
        EXPECT_EQ(0, std::memcmp(down.data(), g.f32(), down.size() * 4)) << name;
    }
}

class DeviceResidentLm : public ::testing::TestWithParam<std::string> {};

TEST_P(DeviceResidentLm, LossAndGradientsTouchActivationsOnlyThroughTheBackend) {
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto model = Model::load(dir);
    const auto trainable = make_trainable(*model);
    const auto ids = golden_ids(dir, 300);
    for (bool recompute : {false, true}) {
        test::FencedBackend fenced(test::backend("cpu"));
        std::map<std::string, Tensor> gf, gc;
        const double lf = lm_loss(*trainable, ids, &gf, fenced, recompute);
        const double lc = lm_loss(*trainable, ids, &gc, test::backend("cpu"), recompute);
        EXPECT_EQ(lf, lc) << "recompute " << recompute;
        expect_same_grads(fenced, gf, gc);
        // The optimiser's side: Mamba's A_log rescaling, and an AdamW step reading the gradients.
        const auto pf = trainable->parameter_grads(std::move(gf), fenced);
        const auto pc = trainable->parameter_grads(std::move(gc), test::backend("cpu"));
        expect_same_grads(fenced, pf, pc);
        EXPECT_GT(fenced.ops(), 0);
    }
}

// Two optimiser steps from gradients the backend holds (downloaded only for their norm, scaled
// as pretrain's batch mean), with the moments held there too: the same weights and optimiser
// state as the CPU's.
TEST_P(DeviceResidentLm, OptimiserStepsReadGradientsThroughTheBackend) {
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    const auto ids = golden_ids(dir, 200);
    auto train = [&](Backend& be) {
        auto model = Model::load(dir);
        const auto trainable = make_trainable(*model);
        auto params = trainable->parameters();
        AdamW opt({.lr = 1e-3, .warmup_steps = 0, .total_steps = 2});
        for (int step = 0; step < 2; ++step) {
            std::map<std::string, Tensor> grads;
            (void)lm_loss(*trainable, ids, &grads, be);
            auto pgrads = trainable->parameter_grads(std::move(grads), be);
            (void)opt.step(params, pgrads, be, 0.5);
            trainable->refresh_derived();
        }
        // The weights, and the optimiser state a checkpoint saves (its moments come down).
        std::map<std::string, std::vector<float>> out;
        for (const auto& [name, t] : params) out[name].assign(t.f32(), t.f32() + t.numel());
        for (const auto& [name, t] : opt.state()) {
            EXPECT_EQ(t.device(), Device::kCpu) << name;
            out[name].assign(t.f32(), t.f32() + t.numel());
        }
        return out;
    };
    test::FencedBackend fenced(test::backend("cpu"));
    EXPECT_EQ(train(fenced), train(test::backend("cpu")));
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         DeviceResidentLm,
                         ::testing::Values("mamba1_rmsnorm_L2048_B2",
                                           "mamba1_layernorm_L2048_B2",
                                           "hyenadna_tiny1k_L1024"));

class DeviceResidentTask : public ::testing::TestWithParam<std::string> {};

TEST_P(DeviceResidentTask, HeadAndBackboneTouchActivationsOnlyThroughTheBackend) {
    const std::string dir = test::data_dir() + "/golden/" + GetParam();
    auto model = Model::load(dir);
    const auto trainable = make_trainable(*model);
    const auto ids = golden_ids(dir, 200);
    TaskHead head = TaskHead::create(HeadTask::kSegment, {"a", "b"}, model->info().d_model, 5);
    std::vector<std::int32_t> labels(ids.size());
    for (size_t t = 0; t < labels.size(); ++t) labels[t] = static_cast<std::int32_t>(t % 3 == 0);
    test::FencedBackend fenced(test::backend("cpu"));
    std::map<std::string, Tensor> gf, gc;
    const double lf = task_loss(*trainable, head, ids, labels.data(), 1.0, gf, fenced);
    const double lc =
        task_loss(*trainable, head, ids, labels.data(), 1.0, gc, test::backend("cpu"));
    EXPECT_EQ(lf, lc);
    expect_same_grads(fenced, gf, gc);
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         DeviceResidentTask,
                         ::testing::Values("caduceus_ph_L1024_B1",
                                           "caduceus_ps_L1024_B1",
                                           "hyenadna_tiny1k_L1024"));

}  // namespace
}  // namespace dnassm
