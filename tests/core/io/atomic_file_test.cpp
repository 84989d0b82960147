#include "dnassm/io/atomic_file.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, WritesATempFileAndRenamesItOnlyOnCommit) {
    const std::string path = testing::TempDir() + "/atomic.txt";
    fs::remove(path);
    std::string temp;
    {
        AtomicFile file(path);
        temp = file.temp_path();
        file.open() << "draft";
        EXPECT_TRUE(fs::exists(temp));
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(path));
    {
        AtomicFile file(path);
        std::ofstream out = file.open();
        out << "final";
        out.close();
        file.commit();
    }
    EXPECT_EQ(read_file(path), "final");
}

TEST(AtomicFile, StandardOutputIsWrittenInPlaceAndNeverRemoved) {
    {
        AtomicFile file("-");
        EXPECT_TRUE(file.is_stdout());
        EXPECT_EQ(file.temp_path(), "/dev/stdout");
        EXPECT_TRUE(file.open().good());
    }  // not committed: a failed run must not remove /dev/stdout
    EXPECT_TRUE(fs::exists(fs::symlink_status("/dev/stdout")));
    AtomicFile file("-");
    EXPECT_NO_THROW(file.commit());
}

TEST(AtomicFile, MissingFolderIsAnError) {
    EXPECT_THROW(AtomicFile(testing::TempDir() + "/no/such/folder/x.txt"), Error);
}

}  // namespace
}  // namespace dnassm
