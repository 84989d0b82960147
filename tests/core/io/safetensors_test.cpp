// The safetensors reader must turn every corruption into an Error, never a crash.
#include "dnassm/safetensors.h"

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"

#include "test_util.h"

namespace dnassm {
namespace {

std::string image(const std::string& header, const std::string& data) {
    std::string s(8, '\0');
    const std::uint64_t n = header.size();
    std::memcpy(s.data(), &n, 8);
    return s + header + data;
}

std::string floats(std::initializer_list<float> v) {
    return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * 4);
}

void expect_model_error(const std::string& bytes, const std::string& needle) {
    try {
        (void)parse_safetensors(bytes, "x.safetensors");
        FAIL() << "no error for case expecting '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kModel);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("x.safetensors"), std::string::npos);
    }
}

TEST(Safetensors, ParsesF32F16Bf16AndMetadata) {
    const std::string half = std::string("\x00\x3c\x00\xc0", 4);  // F16 1.0, -2.0
    const std::string bf16 = std::string("\x80\x3f\x40\x40", 4);  // BF16 1.0, 3.0
    const std::string hdr =
        R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]}})";
    auto f = parse_safetensors(image(hdr, floats({1.5f, -2.5f}) + half + bf16), "x.safetensors");
    EXPECT_EQ(f.metadata.at("format"), "pt");
    EXPECT_EQ(f.tensors.at("a").f32()[1], -2.5f);
    EXPECT_EQ(f.tensors.at("h").f32()[0], 1.0f);
    EXPECT_EQ(f.tensors.at("h").f32()[1], -2.0f);
    EXPECT_EQ(f.tensors.at("b").f32()[1], 3.0f);
    EXPECT_EQ(f.tensors.at("b").shape(), (std::vector<std::int64_t>{1, 2}));
}

TEST(Safetensors, CorruptionsAreErrors) {
    const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    expect_model_error("abc", "shorter than");
    expect_model_error(image(ok, floats({1.0f})), "outside");  // truncated data
    std::string big = image(ok, floats({1, 2}));
    const std::uint64_t huge = 1ull << 62;
    std::memcpy(big.data(), &huge, 8);
    expect_model_error(big, "exceeds file size");
    expect_model_error(image("{not json", ""), "not valid JSON");
    expect_model_error(image("[1,2]", ""), "not a JSON object");
    expect_model_error(
        image(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')),
        "unsupported dtype");
    // Integer buffers are read as int32; values beyond its range are corruption, not wrapped.
    std::string wide(8, '\0');
    wide[4] = 1;  // 2^32 as little-endian int64
    expect_model_error(image(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", wide),
                       "out of the int32 range");
    expect_model_error(
        image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2})),
        "does not match shape");
    expect_model_error(
        image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", floats({1, 2})),
        "non-integer");
    expect_model_error(
        image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", floats({1, 2})),
        "outside");
    expect_model_error(
        image(
            R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296]},"data_offsets":[0,8]})",
            floats({1, 2})),
        "lacks");
    expect_model_error(
        image(
            R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
            floats({1, 2})),
        "overflows");
}

TEST(Safetensors, WriteReadRoundTripIsAtomic) {
    const std::string dir = testing::TempDir() + "/st_roundtrip";
    std::filesystem::create_directories(dir);
    Tensor t({2, 3});
    for (int i = 0; i < 6; ++i) t.f32()[i] = static_cast<float>(i) * 0.5f;
    write_safetensors(dir + "/m.safetensors", {{"w", t}}, {{"k", "v"}});
    auto f = read_safetensors(dir + "/m.safetensors");
    EXPECT_EQ(f.metadata.at("k"), "v");
    EXPECT_EQ(f.tensors.at("w").f32()[5], 2.5f);
    for (const auto& e : std::filesystem::directory_iterator(dir))
        EXPECT_EQ(e.path().filename(), "m.safetensors") << "temp file left behind";
}

TEST(Safetensors, MissingFileNamesIt) {
    try {
        (void)read_safetensors("/nonexistent/model.safetensors");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
    }
}

}  // namespace
}  // namespace dnassm
