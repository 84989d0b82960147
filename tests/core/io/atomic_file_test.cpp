#include "dnassm/io/atomic_file.h"

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <htslib/tbx.h>

#include "dnassm/error.h"
#include "dnassm/io/output_index.h"
#include "dnassm/io/writers.h"

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

// What a BGZF file holds, read with HTSlib; empty when it is not BGZF.
std::string read_bgzf(const std::string& path) {
    std::unique_ptr<BGZF, int (*)(BGZF*)> in(bgzf_open(path.c_str(), "r"), bgzf_close);
    if (!in || bgzf_compression(in.get()) != 2) return {};
    std::string text(1 << 16, '\0');
    const auto n = bgzf_read(in.get(), text.data(), text.size());
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return text;
}

TEST(AtomicFile, TextNamedGzIsCompressedWithBgzfOnCommit) {
    const std::string dir = testing::TempDir() + "/atomic_gz";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string text = "chr1\t0\t5\t1.5\nchr1\t5\t9\t2\nchr2\t3\t4\t-1\n";
    {
        AtomicFile file(dir + "/t.bedgraph.gz", true);
        std::ofstream out = file.open();
        out << text;
        file.commit(out);
        AtomicFile binary(dir + "/b.gz");  // not text: kept as written
        std::ofstream raw = binary.open();
        raw << "as is";
        binary.commit(raw);
        AtomicFile plain(dir + "/p.bedgraph", true);
        std::ofstream p = plain.open();
        p << text;
        plain.commit(p);
    }
    EXPECT_EQ(read_bgzf(dir + "/t.bedgraph.gz"), text);
    EXPECT_EQ(read_file(dir + "/b.gz"), "as is");
    EXPECT_EQ(read_file(dir + "/p.bedgraph"), text);
    // Only the outputs are left: no temp files.
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 3u);

    // Its tabix index answers region queries; a name without .gz cannot be indexed.
    write_output_index(dir + "/t.bedgraph.gz");
    std::unique_ptr<tbx_t, void (*)(tbx_t*)> tbx(tbx_index_load((dir + "/t.bedgraph.gz").c_str()),
                                                 tbx_destroy);
    ASSERT_NE(tbx, nullptr);
    int n_seq = 0;
    free(tbx_seqnames(tbx.get(), &n_seq));
    EXPECT_EQ(n_seq, 2);
    EXPECT_TRUE(indexable_output("x.bed.gz"));
    EXPECT_TRUE(indexable_output("x.BEDGRAPH.GZ"));
    EXPECT_TRUE(indexable_output("x.vcf.gz"));
    EXPECT_TRUE(indexable_output("x.bcf"));
    EXPECT_FALSE(indexable_output("x.bed"));
    EXPECT_FALSE(indexable_output("x.tsv.gz"));
    EXPECT_FALSE(indexable_output("x.bw"));
    EXPECT_THROW(write_output_index(dir + "/p.bedgraph"), Error);

    // Unsorted text cannot be indexed: an error, and no index left behind.
    {
        AtomicFile file(dir + "/u.bed.gz", true);
        std::ofstream out = file.open();
        out << "chr1\t50\t60\nchr1\t10\t20\n";
        file.commit(out);
    }
    EXPECT_THROW(write_output_index(dir + "/u.bed.gz"), Error);
    EXPECT_FALSE(fs::exists(dir + "/u.bed.gz.tbi"));
}

TEST(TrackFiles, CompressedBedGraphReadsBack) {
    const std::string path = testing::TempDir() + "/track.bedgraph.gz";
    {
        auto writer = TrackWriter::create(path, {{"chr1", 100}});
        const float values[] = {1.0f, 1.0f, 2.5f};
        writer->add_run("chr1", 10, values, 3);
        writer->commit();
    }
    EXPECT_EQ(read_bgzf(path), "chr1\t10\t12\t1\nchr1\t12\t13\t2.5\n");
    const Track t = read_track(path);
    ASSERT_EQ(t.intervals.size(), 2u);
    EXPECT_EQ(t.contigs.at(0).name, "chr1");
    EXPECT_EQ(t.intervals[1].beg, 12);
    EXPECT_EQ(t.intervals[1].value, 2.5f);
    EXPECT_THROW(TrackWriter::create(testing::TempDir() + "/track.bw.gz", {{"chr1", 100}}), Error);
}

TEST(AtomicFile, MissingFolderIsAnError) {
    EXPECT_THROW(AtomicFile(testing::TempDir() + "/no/such/folder/x.txt"), Error);
}

}  // namespace
}  // namespace dnassm
