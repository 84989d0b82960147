// The CUDA backend's bookkeeping of kept weights (kernels/cuda/weight_registry.h), on the CPU:
// which host pointers resolve to a kept copy, how overlapping tensors merge, what goes stale.
#include "cuda/weight_registry.h"

#include <gtest/gtest.h>

namespace dnassm {
namespace {

using cuda::WeightRegistry;

TEST(CudaWeightRegistry, FindsPointersInsideKeptTensorsOnly) {
    const Tensor a({4, 8}), b({16}), ints({5}, DType::kI32);
    WeightRegistry reg;
    EXPECT_TRUE(reg.replace({a, b, ints, Tensor()}).empty());
    ASSERT_EQ(reg.ranges().size(), 2u);  // the int tensor and the empty one are not kept
    EXPECT_TRUE(reg.holds({a, b, ints, Tensor()}));
    EXPECT_FALSE(reg.holds({a, b}));
    EXPECT_FALSE(reg.holds({b, a, ints, Tensor()}));

    WeightRegistry::Range* r = reg.find(a.f32() + 8, 24);  // rows 1-3 of a
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->host, a.f32());
    EXPECT_EQ(r->floats, 32);
    EXPECT_EQ(reg.find(a.f32() + 8, 25), nullptr);  // runs past the end of a
    EXPECT_EQ(reg.find(b.f32(), 16)->host, b.f32());
    const Tensor other({8});
    EXPECT_EQ(reg.find(other.f32(), 8), nullptr);
}

TEST(CudaWeightRegistry, MergesOverlappingTensorsAndKeepsThemAlive) {
    Tensor big({10, 4});
    const float* host = big.f32();
    const Tensor rows = big.slice_rows(2, 10), same = big.reshape({40});
    WeightRegistry reg;
    (void)reg.replace({rows, big, same});
    ASSERT_EQ(reg.ranges().size(), 1u);
    EXPECT_EQ(reg.ranges()[0].host, host);
    EXPECT_EQ(reg.ranges()[0].floats, 40);
    big = Tensor();  // the registry still holds the memory
    EXPECT_NE(reg.find(host + 36, 4), nullptr);
}

TEST(CudaWeightRegistry, WritesMarkStaleAndReplacingHandsBackTheCopies) {
    const Tensor a({8}), b({8});
    WeightRegistry reg;
    (void)reg.replace({a, b});
    for (auto& r : reg.ranges()) r.stale = false;  // as after an upload
    reg.written(b.f32() + 7, 1);
    EXPECT_FALSE(reg.find(a.f32(), 8)->stale);
    EXPECT_TRUE(reg.find(b.f32(), 8)->stale);
    reg.all_written();
    EXPECT_TRUE(reg.find(a.f32(), 8)->stale);

    float fake_device = 0;
    reg.find(a.f32(), 8)->device = &fake_device;
    const auto dropped = reg.replace({b});
    ASSERT_EQ(dropped.size(), 2u);
    int with_copy = 0;
    for (const auto& r : dropped) with_copy += r.device == &fake_device;
    EXPECT_EQ(with_copy, 1);
    EXPECT_EQ(reg.find(a.f32(), 8), nullptr);
    EXPECT_TRUE(reg.find(b.f32(), 8)->stale);  // a new set starts stale
}

}  // namespace
}  // namespace dnassm
