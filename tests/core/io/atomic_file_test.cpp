#include "dnassm/io/atomic_file.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif
#include <htslib/tbx.h>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"
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
        file.stream() << "draft" << std::flush;
        EXPECT_TRUE(fs::exists(temp));
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(path));
    {
        AtomicFile file(path);
        file.stream() << "final";
        file.commit();
    }
    EXPECT_EQ(read_file(path), "final");
}

TEST(AtomicFile, StandardOutputIsWrittenInPlaceAndNeverRemoved) {
    {
        AtomicFile file("-");
        EXPECT_TRUE(file.is_stdout());
        EXPECT_EQ(file.temp_path(), "/dev/stdout");
        EXPECT_TRUE(file.stream().good());
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
        file.stream() << text;
        file.commit();
        AtomicFile binary(dir + "/b.gz");  // not text: kept as written
        binary.stream() << "as is";
        binary.commit();
        AtomicFile plain(dir + "/p.bedgraph", true);
        plain.stream() << text;
        plain.commit();
        AtomicFile empty(dir + "/e.bed.gz", true);  // nothing written: an empty BGZF file
        empty.commit();
    }
    EXPECT_EQ(read_bgzf(dir + "/t.bedgraph.gz"), text);
    EXPECT_EQ(read_file(dir + "/b.gz"), "as is");
    EXPECT_EQ(read_file(dir + "/p.bedgraph"), text);
    // Only the outputs are left: no temp files.
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 4u);
    EXPECT_EQ(read_file(dir + "/e.bed.gz").size(), 28u);  // the BGZF end-of-file block alone

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
        file.stream() << "chr1\t50\t60\nchr1\t10\t20\n";
        file.commit();
    }
    EXPECT_THROW(write_output_index(dir + "/u.bed.gz"), Error);
    EXPECT_FALSE(fs::exists(dir + "/u.bed.gz.tbi"));
    // Nor its temp file: the folder holds the outputs and the one index built.
    for (const auto& entry : fs::directory_iterator(dir))
        EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
            << entry.path();
}

TEST(AtomicFile, TextNamedGzIsCompressedAsItIsWrittenNeverAsAPlainCopy) {
    const std::string dir = testing::TempDir() + "/atomic_gz_stream";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string text;
    for (int i = 0; i < 200000; ++i)
        text += "chr1\t" + std::to_string(i) + "\t" + std::to_string(i + 1) + "\t0.5\n";
    AtomicFile file(dir + "/big.bedgraph.gz", true);
    std::ostream& out = file.stream();
    out << text.substr(0, text.size() / 2) << std::flush;
    // Half-way, the file on disk is already BGZF, and smaller than the text so far.
    std::string head(4, '\0');
    std::ifstream(file.temp_path(), std::ios::binary).read(head.data(), 4);
    EXPECT_EQ(head, std::string("\x1f\x8b\x08\x04", 4));
    EXPECT_LT(fs::file_size(file.temp_path()), text.size() / 8);
    out << text.substr(text.size() / 2);
    file.commit();
    std::unique_ptr<BGZF, int (*)(BGZF*)> in(bgzf_open((dir + "/big.bedgraph.gz").c_str(), "r"),
                                             bgzf_close);
    ASSERT_NE(in, nullptr);
    std::string back(text.size() + 1, '\0');
    EXPECT_EQ(bgzf_read(in.get(), back.data(), back.size()), static_cast<ssize_t>(text.size()));
    back.resize(text.size());
    EXPECT_EQ(back, text);  // many BGZF blocks
}

// A run stopped by SIGINT, SIGTERM or SIGHUP removes the temp files it was writing (of files made
// by HTSlib-style writers too: any still-open AtomicFile), keeps what it committed, and dies of the
// signal.
TEST(AtomicFileDeathTest, ASignalRemovesTheTempFilesAndStillKills) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: handlers installed anew
    const std::string dir = testing::TempDir() + "/atomic_signal";
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        auto write_then_stop = [&] {
            // As a scheduler would find it: the signal not ignored (a test runner started in the
            // background has SIGINT ignored, and an ignored signal stays ignored).
            std::signal(sig, SIG_DFL);
            AtomicFile kept(dir + "/kept.txt");
            kept.stream() << "done";
            kept.commit();
            AtomicFile text(dir + "/a.txt");
            AtomicFile other(dir + "/b.bin");
            text.stream() << "draft" << std::flush;
            std::ofstream(other.temp_path()) << "written by a library";
            std::raise(sig);
        };
        EXPECT_EXIT(write_then_stop(), testing::KilledBySignal(sig), "");
        std::vector<std::string> left;
        for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename());
        EXPECT_EQ(left, std::vector<std::string>{"kept.txt"}) << "signal " << sig;
    }
    fs::remove_all(dir);
}

TEST(AtomicFile, AFullDiskIsAnErrorNamingTheFileAndLeavesNothing) {
    const std::string dir = testing::TempDir() + "/atomic_full";
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const std::string name : {"t.bedgraph", "t.bedgraph.gz"}) {
#if defined(__SANITIZE_ADDRESS__)
        // HTSlib 1.16's bgzf_close returns on a failed flush without freeing its BGZF (the
        // library's leak, on an error path that ends the process).
        __lsan::ScopedDisabler htslib_leaks_on_a_failed_close;
#endif
        const std::string path = dir + "/" + name;
        AtomicFile file(path, true);
        // The temp file is /dev/full: every write fails with ENOSPC.
        fs::create_symlink("/dev/full", file.temp_path());
        file.stream() << std::string(1 << 18, 'A');
        try {
            file.commit();
            ADD_FAILURE() << name << ": committed";
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()), path + ": write failed (disk full?)");
        }
    }
    EXPECT_TRUE(fs::is_empty(dir));
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

bool is_char_device(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// A temp file renamed onto /dev/null would replace the device itself (as root); a device or a
// FIFO is written in place, and what a library writes itself is spooled and copied at commit.
TEST(AtomicFile, DevicesAndFifosAreWrittenInPlace) {
    ASSERT_TRUE(is_char_device("/dev/null"));
    EXPECT_TRUE(AtomicFile::written_in_place("/dev/null"));
    EXPECT_TRUE(AtomicFile::written_in_place("/dev/stdout"));
    EXPECT_FALSE(AtomicFile::written_in_place(testing::TempDir()));
    EXPECT_FALSE(AtomicFile::written_in_place(testing::TempDir() + "/not_there.txt"));
    {
        AtomicFile file("/dev/null", true);
        file.stream() << "text";
        file.commit();
    }
    std::string spool;
    {
        AtomicFile file("/dev/null");
        spool = file.temp_path();
        EXPECT_NE(spool, "/dev/null");
        std::ofstream(spool) << "what libBigWig or HDF5 wrote";
        file.commit();
    }
    EXPECT_FALSE(fs::exists(spool));
    {
        AtomicFile file("/dev/null");
        std::ofstream(file.temp_path()).flush();  // an empty spool: nothing to copy
        EXPECT_NO_THROW(file.commit());
    }
    {
        AtomicFile file("/dev/null");  // not committed: nothing is removed
        file.stream() << "x";
    }
    EXPECT_TRUE(is_char_device("/dev/null"));

    const std::string fifo = testing::TempDir() + "/atomic.fifo";
    fs::remove(fifo);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::string got;
    std::thread reader([&] {
        std::ifstream in(fifo);
        std::getline(in, got, '\0');
    });
    {
        AtomicFile file(fifo, true);
        file.stream() << "chr1\t0\t1\t0.5\n";
        file.commit();
    }
    reader.join();
    EXPECT_EQ(got, "chr1\t0\t1\t0.5\n");
    EXPECT_EQ(fs::status(fifo).type(), fs::file_type::fifo);

    if (!is_char_device("/dev/full")) GTEST_SKIP() << "skipped the full-device part: no /dev/full";
    AtomicFile full("/dev/full", true);
    full.stream() << std::string(1 << 18, 'A');
    try {
        full.commit();
        ADD_FAILURE() << "committed to /dev/full";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "/dev/full: write failed (disk full?)");
    }
    EXPECT_TRUE(is_char_device("/dev/full"));
}

TEST(AtomicFile, ALinkToAFileStaysALink) {
    const std::string dir = testing::TempDir() + "/atomic_link";
    fs::remove_all(dir);
    fs::create_directories(dir + "/data");
    std::ofstream(dir + "/data/real.txt") << "old";
    fs::create_symlink("data/real.txt", dir + "/link.txt");
    AtomicFile file(dir + "/link.txt");
    EXPECT_EQ(fs::path(file.temp_path()).parent_path(), fs::canonical(dir + "/data"));
    file.stream() << "new";
    file.commit();
    EXPECT_TRUE(fs::is_symlink(dir + "/link.txt"));
    EXPECT_EQ(read_file(dir + "/data/real.txt"), "new");
}

// `dnassm predict -o in.fa in.fa`: the run's inputs are not replaced, whether the output is
// made before or after the input is read, or names it through a link.
// (Protection stays on for the rest of this process: ctest runs each test in its own.)
TEST(AtomicFile, AnInputOfTheRunIsNotReplaced) {
    const std::string dir = testing::TempDir() + "/atomic_inputs";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string in = dir + "/in.fa", late = dir + "/late.txt";
    std::ofstream(in) << ">a\nACGT\n";
    std::ofstream(late) << "kept";
    require_readable_file(in);  // before protection: not remembered
    EXPECT_NO_THROW(AtomicFile{in});
    protect_input_files();
    require_readable_file(in);
    auto error_of = [](const std::function<void()>& f) -> std::string {
        try {
            f();
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kUsage);
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(error_of([&] { AtomicFile file(in); }),
              in + ": is an input of this run; write the output to another file");
    fs::create_symlink(in, dir + "/link.fa");
    EXPECT_EQ(error_of([&] { AtomicFile file(dir + "/link.fa"); }),
              dir + "/link.fa: is the same file as an input of this run (" + in +
                  "); write the output to another file");
    AtomicFile out(late);
    out.stream() << "replaced";
    require_readable_file(late);  // read after the output was opened
    EXPECT_EQ(error_of([&] { out.commit(); }),
              late + ": is an input of this run; write the output to another file");
    EXPECT_EQ(read_file(late), "kept");
    EXPECT_EQ(read_file(in), ">a\nACGT\n");
}

// Two outputs of one run naming one file (-o x --state-out ./x) would share a temp file.
TEST(AtomicFile, OneFileIsWrittenByOneAtATime) {
    const std::string dir = testing::TempDir() + "/atomic_twice";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path cwd = fs::current_path();
    fs::current_path(dir);
    {
        AtomicFile first("out.txt");
        try {
            AtomicFile second("./out.txt");
            ADD_FAILURE() << "a second writer of out.txt";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kUsage);
            EXPECT_EQ(std::string(e.what()),
                      "./out.txt: named as two outputs of this run; give each its own file");
        }
        EXPECT_THROW(AtomicFile(dir + "/out.txt"), Error);
        first.stream() << "first";
        first.commit();
    }
    {
        AtomicFile again("out.txt");  // once the first is done, the file may be written again
        again.stream() << "again";
        again.commit();
    }
    fs::current_path(cwd);
    EXPECT_EQ(read_file(dir + "/out.txt"), "again");
}

TEST(AtomicFile, MissingFolderIsAnError) {
    EXPECT_THROW(AtomicFile(testing::TempDir() + "/no/such/folder/x.txt"), Error);
}

}  // namespace
}  // namespace dnassm
