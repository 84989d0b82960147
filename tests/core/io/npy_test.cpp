#include "dnassm/io/npy.h"

#include <filesystem>
#include <fstream>

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

TEST(Npy, PreambleIsPaddedTo64BytesAndCanReserveRoomForItsFinalShape) {
    const std::string small = npy_preamble("<f4", {3, 5});
    EXPECT_EQ(small.size() % 64, 0u);
    EXPECT_NE(small.find("'shape': (3, 5), }"), std::string::npos);
    EXPECT_EQ(small.back(), '\n');
    EXPECT_NE(
        npy_preamble("<f2", {7}).find("'descr': '<f2', 'fortran_order': False, 'shape': (7,)"),
        std::string::npos);
    const std::size_t room = npy_preamble("<f4", {INT64_MAX, 128}).size();
    EXPECT_GE(room, small.size());
    EXPECT_EQ(npy_preamble("<f4", {0, 128}, room).size(), room);
    EXPECT_EQ(npy_preamble("<f4", {INT64_MAX, 128}, room).size(), room);
    const std::string p = npy_preamble("<f4", {1, 2}, 128);
    EXPECT_EQ(static_cast<unsigned char>(p[8]) | (static_cast<unsigned char>(p[9]) << 8), 128 - 10);
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

TEST(Npy, HeaderAloneSaysDtypeShapeAndWhereTheDataBegins) {
    const std::string path = testing::TempDir() + "/half.npy";
    const std::string preamble = npy_preamble("<f2", {4, 3});
    {
        std::ofstream out(path, std::ios::binary);
        out << preamble << std::string(4 * 3 * 2, '\0');
    }
    const NpyHeader h = read_npy_header(path);
    EXPECT_EQ(h.descr, "<f2");
    EXPECT_EQ(h.shape, (std::vector<std::int64_t>{4, 3}));
    EXPECT_EQ(h.data_offset, preamble.size());
    EXPECT_THROW((void)read_npy(path), Error);  // float16 is described, not read
    // A file cut short of its shape's bytes is refused, header alone or whole.
    std::filesystem::resize_file(path, preamble.size() + 4 * 3 * 2 - 1);
    EXPECT_THROW((void)read_npy_header(path), Error);
}

TEST(Npy, RejectsNonNpy) {
    const std::string path = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2/config.json";
    EXPECT_THROW((void)read_npy(path), Error);
    EXPECT_THROW((void)read_npy_header(path), Error);
}

}  // namespace dnassm
