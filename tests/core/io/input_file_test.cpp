#include "dnassm/io/input_file.h"

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/vcf_reader.h"

namespace dnassm {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(RequireReadableFile, SaysWhyAnInputCannotBeRead) {
    const std::string dir = testing::TempDir() + "/input_file_test";
    fs::create_directories(dir);
    const std::string file = dir + "/ok.txt";
    std::ofstream(file) << "x\n";
    EXPECT_NO_THROW(require_readable_file(file));
    EXPECT_NO_THROW(require_readable_file("-"));  // standard input
    EXPECT_EQ(error_of([&] { require_readable_file(dir + "/none.bed"); }),
              dir + "/none.bed: no such file");
    EXPECT_EQ(error_of([&] { require_readable_file(dir, "a BED file"); }),
              dir + ": is a folder, expected a BED file");
}

TEST(RequireReadableFile, TheTextAndVcfReadersSayItToo) {
    const std::string missing = testing::TempDir() + "/no_such_input.txt";
    fs::remove(missing);
    EXPECT_EQ(error_of([&] { TextLines lines(missing); }), missing + ": no such file");
    EXPECT_EQ(error_of([&] { VcfReader vcf(missing); }), missing + ": no such file");
    EXPECT_EQ(error_of([&] { VcfReader vcf(testing::TempDir()); }),
              testing::TempDir() + ": is a folder, expected a VCF/BCF file");
}

}  // namespace
}  // namespace dnassm
