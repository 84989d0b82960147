#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/npy.h"
#include "dnassm/io/writers.h"

namespace dnassm {
namespace {

std::string text_of(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(VectorWriter, NpyIsOneMatrixWithTheRowCountWrittenAtCommit) {
    const std::string path = testing::TempDir() + "/vectors.npy";
    auto w = VectorWriter::create(path, 3);
    const float a[3] = {1.0f, 2.0f, 3.0f}, b[3] = {-0.5f, 0.25f, 1e-7f};
    for (int i = 0; i < 4; ++i) w->add("r", Region{}, i % 2 ? b : a);
    w->commit();
    const Tensor t = read_npy(path);
    ASSERT_EQ(t.shape(), (std::vector<std::int64_t>{4, 3}));
    EXPECT_EQ(t.f32()[0], 1.0f);
    EXPECT_EQ(t.f32()[5], 1e-7f);
    EXPECT_EQ(t.f32()[11], 1e-7f);
}

TEST(VectorWriter, TsvRowsCarryIdAndInterval) {
    const std::string path = testing::TempDir() + "/vectors.tsv";
    auto w = VectorWriter::create(path, 2);
    const float v[2] = {0.1f, -3.0f};
    Region named{"chr2", 10, 20, 1, "promoter"}, unnamed{"chr2", 30, 40, 1, ""};
    w->add("chr2:11-20", named, v);
    w->add("chr2:31-40", unnamed, v);
    w->add("read7", Region{}, v);  // an unmapped read: no interval
    w->commit();
    EXPECT_EQ(text_of(path),
              "id\tchrom\tstart\tend\te0\te1\n"
              "promoter\tchr2\t10\t20\t0.100000001\t-3\n"
              "chr2:31-40\tchr2\t30\t40\t0.100000001\t-3\n"
              "read7\t\t\t\t0.100000001\t-3\n");
}

TEST(VectorWriter, NothingWrittenIsAnErrorAndLeavesNoFile) {
    for (const char* name : {"/empty.npy", "/empty.tsv"}) {
        const std::string path = testing::TempDir() + name;
        std::filesystem::remove(path);
        auto w = VectorWriter::create(path, 4);
        EXPECT_THROW(w->commit(), Error) << name;
        w.reset();
        EXPECT_FALSE(std::filesystem::exists(path)) << name;
    }
    EXPECT_THROW((void)VectorWriter::create(testing::TempDir() + "/v.csv", 4), Error);
    EXPECT_THROW((void)VectorWriter::create(testing::TempDir() + "/v.tsv", 4, true), Error);
}

}  // namespace
}  // namespace dnassm
