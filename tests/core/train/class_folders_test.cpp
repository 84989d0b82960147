// GenomicBenchmarks layouts: interval lists read from a reference (the '-' strand reverse-
// complemented, as its loc2seq does) and folders of full sequences, one class per entry.
#include "train/class_folders.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
    const std::string dir = testing::TempDir() + "/" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string expect_error(const std::string& dir, const std::string& fasta) {
    try {
        (void)read_class_folders(dir, fasta);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(ClassFolders, IntervalListsReadFromTheReferenceWithTheirStrand) {
    const std::string dir = fresh_dir("gb_lists");
    const std::string fa = dir + "/../gb_ref.fa";
    write(fa, ">chr1\nAACCGGTTAC\n>chr2\nGGGGAAAA\n");
    fs::remove(fa + ".fai");
    write(dir + "/positive.csv", "id,region,start,end,strand\n7,chr1,0,4,+\n8,chr1,2,6,-\n");
    write(dir + "/negative.csv", "id,region,start,end,strand\r\n1,chr2,4,8,.\r\n");
    write(dir + "/README.txt", "not a class\n");
    const auto seqs = read_class_folders(dir, fa);
    ASSERT_EQ(seqs.size(), 3u);
    // Entries in name order: negative, then positive.
    EXPECT_EQ((std::vector<std::string>{seqs[0].id, seqs[0].seq, seqs[0].label}),
              (std::vector<std::string>{"1", "AAAA", "negative"}));
    EXPECT_EQ(seqs[1].seq, "AACC");
    EXPECT_EQ(seqs[2].seq, "CCGG");  // chr1:3-6 is CCGG; its reverse complement is CCGG too
    write(dir + "/positive.csv", "id,region,start,end,strand\n7,chr1,0,4,-\n");
    EXPECT_EQ(read_class_folders(dir, fa)[1].seq, "GGTT");  // AACC reverse-complemented
    // A CRLF list keeps its strand column (whose header name ends the line); blank lines, of
    // spaces too, are skipped as a label table's are.
    write(dir + "/positive.csv", "id,region,start,end,strand\r\n7,chr1,0,4,-\r\n \t\r\n\r\n");
    EXPECT_EQ(read_class_folders(dir, fa)[1].seq, "GGTT");
    EXPECT_EQ(read_class_folders(dir, fa)[1].region.label(), "chr1:1-4");

    write(dir + "/positive.csv", "id,region,start,end,strand\n7,1,0,4,+\n");
    EXPECT_NE(expect_error(dir, fa).find("positive.csv: line 2: unknown contig '1'"),
              std::string::npos)
        << expect_error(dir, fa);
    write(dir + "/positive.csv", "id,region,start,end,strand\n7,chr1,0,40,+\n");
    EXPECT_NE(expect_error(dir, fa).find("ends beyond the end of chr1"), std::string::npos);
    write(dir + "/positive.csv", "id,region,start,end,strand\n7,chr1,0,4,x\n");
    EXPECT_NE(expect_error(dir, fa).find("line 2: strand 'x' is not +, - or ."), std::string::npos);
    write(dir + "/positive.csv", "id,region,start,end,strand\n");
    EXPECT_NE(expect_error(dir, fa).find("positive.csv: no intervals after the header"),
              std::string::npos);
    write(dir + "/positive.csv", "id,chrom,start,end\n7,chr1,0,4\n");
    EXPECT_NE(expect_error(dir, fa).find("expected a header with region, start, end"),
              std::string::npos);
    EXPECT_NE(expect_error(dir, "").find("an interval list needs --fasta"), std::string::npos);
}

TEST(ClassFolders, FoldersOfFullSequences) {
    const std::string dir = fresh_dir("gb_seqs");
    fs::create_directories(dir + "/a");
    fs::create_directories(dir + "/b");
    write(dir + "/a/2.txt", "ACGT\n");
    write(dir + "/a/10.txt", "GG\nCC");
    write(dir + "/b/1.txt", "TTTT");
    write(dir + "/b/notes.md", "skipped");
    const auto seqs = read_class_folders(dir, "");
    ASSERT_EQ(seqs.size(), 3u);
    EXPECT_EQ((std::vector<std::string>{seqs[0].id, seqs[0].seq, seqs[0].label}),
              (std::vector<std::string>{"10", "GGCC", "a"}));
    EXPECT_EQ(seqs[2].label, "b");
    EXPECT_TRUE(seqs[0].region.contig.empty());
    EXPECT_NE(expect_error(fresh_dir("gb_empty"), "").find("no classes"), std::string::npos);
}

}  // namespace
}  // namespace dnassm
