#include "io/hdf5_file_access.h"

#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dnassm/io/embedding_file.h"
#include "dnassm/io/writers.h"

namespace dnassm {
namespace {

TEST(Hdf5FileAccess, TurnsHdf5sFileLockingOff) {
    const Hdf5FileAccess access;
    hbool_t use = true, ignore = false;
    ASSERT_GE(H5Pget_file_locking(access.id(), &use, &ignore), 0);
    EXPECT_FALSE(use);
    EXPECT_TRUE(ignore);
}

// HDF5's own lock (flock) fails on filesystems without lock support; dnassm takes none, so an
// .h5 another process holds locked is still written and read: no call of ours asks for a lock.
TEST(Hdf5FileAccess, EmbeddingsAreWrittenAndReadWithoutTakingALock) {
    const std::string path = testing::TempDir() + "/unlocked.h5";
    std::filesystem::remove(path);
    auto write = [&] {
        auto writer = ArrayWriter::create(path);
        const float row[2] = {1.0f, 2.0f};
        writer->begin("x", Region{}, 1, 2);
        writer->write_rows(row, 1);
        writer->end();
        writer->commit();
    };
    write();
    const int fd = open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);  // as another process's HDF5 would hold it
    EXPECT_EQ(read_embedding_file_info(path).datasets, 1);
    close(fd);
}

}  // namespace
}  // namespace dnassm
