#include "dnassm/io/npy.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"

#include "test_util.h"

namespace dnassm {

TEST(Npy, RoundTripFloat32) {
    Tensor t({3, 5});
    for (int i = 0; i < 15; ++i) t.f32()[i] = static_cast<float>(i) - 7.25f;
    const std::string path = testing::TempDir() + "/rt.npy";
    write_npy(path, t);
    const Tensor r = read_npy(path);
    EXPECT_EQ(r.shape(), t.shape());
    EXPECT_EQ(r.f32()[14], 6.75f);
}

TEST(Npy, ReadsGoldenInt64Ids) {
    const Tensor ids = read_npy(test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2/input_ids.npy");
    EXPECT_EQ(ids.dtype(), DType::kI32);
    EXPECT_EQ(ids.shape(), (std::vector<std::int64_t>{2, 2048}));
    for (std::int64_t i = 0; i < ids.numel(); ++i) {
        EXPECT_GE(ids.data<std::int32_t>()[i], 7);
        EXPECT_LE(ids.data<std::int32_t>()[i], 11);
    }
}

TEST(Npy, RejectsNonNpy) {
    const std::string path = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2/config.json";
    EXPECT_THROW((void)read_npy(path), Error);
}

}  // namespace dnassm
