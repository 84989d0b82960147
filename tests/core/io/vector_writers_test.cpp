#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "dnassm/error.h"
#include "dnassm/io/embedding_file.h"
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

// Reads a root dataset of `n` values as `T` (float, int64, or variable-length text).
template <typename T>
std::vector<T> read_dataset(hid_t file, const char* name, std::size_t n) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    EXPECT_GE(ds, 0) << name;
    std::vector<T> out(n);
    if constexpr (std::is_same_v<T, std::string>) {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        std::vector<char*> raw(n);
        EXPECT_GE(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), 0);
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = raw[i];
            H5free_memory(raw[i]);
        }
        H5Tclose(type);
    } else {
        const hid_t mem = std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64;
        EXPECT_GE(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
    }
    H5Dclose(ds);
    return out;
}

TEST(VectorWriter, Hdf5IsOneMatrixWithAColumnPerRowAttribute) {
    const std::string path = testing::TempDir() + "/vectors.h5";
    // Rows wide enough that the writer appends them in several blocks.
    const std::int64_t cols = 30000;
    auto w = VectorWriter::create(path, cols);
    std::vector<float> row(static_cast<size_t>(cols));
    const Region named{"chr2", 10, 20, 1, "promoter"}, unnamed{"chr2", 30, 40, 1, ""};
    for (int i = 0; i < 7; ++i) {
        for (std::int64_t c = 0; c < cols; ++c) row[static_cast<size_t>(c)] = i * 1000.0f + c;
        w->add(i == 6 ? "read7" : "chr2:31-40",
               i == 0   ? named
               : i == 6 ? Region{}
                        : unnamed,
               row.data());
    }
    w->describe({{"pooling", "mean"}});
    w->commit();
    EXPECT_EQ(read_embedding_file_info(path).vectors, 7);
    EXPECT_EQ(read_embedding_file_info(path).dims, cols);
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const auto values = read_dataset<float>(f, "embeddings", 7 * static_cast<size_t>(cols));
    for (int i = 0; i < 7; ++i)
        for (std::int64_t c : {std::int64_t{0}, cols - 1})
            EXPECT_EQ(values[static_cast<size_t>(i * cols + c)], i * 1000.0f + c);
    const auto ids = read_dataset<std::string>(f, "id", 7);
    EXPECT_EQ(ids[0], "promoter");
    EXPECT_EQ(ids[1], "chr2:31-40");
    EXPECT_EQ(ids[6], "read7");
    const auto chrom = read_dataset<std::string>(f, "chrom", 7);
    EXPECT_EQ(chrom[0], "chr2");
    EXPECT_EQ(chrom[6], "");  // no reference interval
    EXPECT_EQ(read_dataset<std::int64_t>(f, "start", 7),
              (std::vector<std::int64_t>{10, 30, 30, 30, 30, 30, -1}));
    EXPECT_EQ(read_dataset<std::int64_t>(f, "end", 7),
              (std::vector<std::int64_t>{20, 40, 40, 40, 40, 40, -1}));
    EXPECT_LT(H5Lexists(f, "strand", H5P_DEFAULT), 1);  // no region has a strand
    H5Fclose(f);
}

TEST(VectorWriter, Hdf5HasAStrandColumnWhenARegionHasAStrand) {
    const std::string path = testing::TempDir() + "/stranded.h5";
    auto w = VectorWriter::create(path, 2, true);
    const float v[2] = {0.5f, -2.0f};
    Region minus{"chr1", 0, 5, 0, "g"};
    minus.strand = '-';
    w->add("chr1:1-5(-)", minus, v);
    w->add("chr1:1-5", Region{"chr1", 0, 5, 0, ""}, v);
    w->commit();
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    EXPECT_EQ(read_dataset<std::string>(f, "strand", 2), (std::vector<std::string>{"-", "."}));
    EXPECT_EQ(read_dataset<float>(f, "embeddings", 4),
              (std::vector<float>{0.5f, -2.0f, 0.5f, -2.0f}));
    H5Fclose(f);
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
    for (const char* name : {"/empty.npy", "/empty.tsv", "/empty.h5"}) {
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
