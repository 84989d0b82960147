#include "dnassm/tensor.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {

TEST(Tensor, ZeroInitialisedWithShape) {
    Tensor t({3, 4});
    EXPECT_EQ(t.numel(), 12);
    EXPECT_EQ(t.shape_str(), "[3, 4]");
    for (float v : t.span_f32()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, SliceRowsSharesStorageCloneDoesNot) {
    Tensor t({4, 2});
    for (int i = 0; i < 8; ++i) t.f32()[i] = static_cast<float>(i);
    Tensor s = t.slice_rows(1, 3);
    EXPECT_EQ(s.shape(), (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(s.f32()[0], 2.0f);
    s.f32()[0] = 42.0f;
    EXPECT_EQ(t.f32()[2], 42.0f);
    Tensor c = t.clone();
    c.f32()[0] = -1.0f;
    EXPECT_EQ(t.f32()[0], 0.0f);
}

TEST(Tensor, ReshapeChecksElementCount) {
    Tensor t({2, 6});
    EXPECT_EQ(t.reshape({3, 4}).dim(1), 4);
    EXPECT_THROW((void)t.reshape({5, 2}), Error);
}

}  // namespace dnassm
