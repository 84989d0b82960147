#include "dnassm/io/region.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "dnassm/error.h"

#include "test_util.h"

namespace dnassm {
namespace {

const std::vector<Contig> kContigs = {{"chr1", 1000}, {"chr2", 500}, {"HLA-A*01:01", 300}};

Region one(const std::string& s) { return parse_regions({s}, kContigs).at(0); }

std::string error_of(const std::string& s) {
    try {
        (void)parse_regions({s}, kContigs);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInput);
        return e.what();
    }
    return "";
}

TEST(Regions, SamtoolsSemantics) {
    Region r = one("chr1:101-200");
    EXPECT_EQ(r.beg, 100);
    EXPECT_EQ(r.end, 200);
    EXPECT_EQ(r.tid, 0);
    EXPECT_EQ(r.label(), "chr1:101-200");
    r = one("chr2");
    EXPECT_EQ(r.beg, 0);
    EXPECT_EQ(r.end, 500);
    r = one("chr2:401");
    EXPECT_EQ(r.beg, 400);
    EXPECT_EQ(r.end, 500);
    EXPECT_EQ(one("chr1:1-1,000").end, 1000);  // thousands separators
    EXPECT_THROW((void)one("chr1:1,001-1,000"), Error);
}

TEST(Regions, OddContigNamesNeedBraces) {
    Region r = one("{HLA-A*01:01}:11-20");
    EXPECT_EQ(r.contig, "HLA-A*01:01");
    EXPECT_EQ(r.beg, 10);
    EXPECT_EQ(one("HLA-A*01:01").end, 300);
}

TEST(Regions, ClearErrorsNamingTheRegion) {
    EXPECT_NE(error_of("chrX:1-10").find("unknown contig 'chrX' (the input's 3 contigs: 'chr1'"),
              std::string::npos);
    EXPECT_NE(error_of("1:1-10").find("unknown contig '1' (the input has 'chr1'"),
              std::string::npos);
    EXPECT_EQ(error_of("chr1:200-100"), "region 'chr1:200-100': end is before start");
    EXPECT_EQ(error_of("chr1:1,001-1,000"), "region 'chr1:1,001-1,000': end is before start");
    EXPECT_EQ(error_of("{HLA-A*01:01}:20-11"), "region '{HLA-A*01:01}:20-11': end is before start");
    EXPECT_NE(error_of("chr1:5-x").find("cannot parse coordinates"), std::string::npos);
    EXPECT_NE(error_of("chr1:5-4x").find("cannot parse coordinates"), std::string::npos);
    EXPECT_NE(error_of("{HLA-A*01:01}:5-x").find("cannot parse coordinates"), std::string::npos);
    EXPECT_NE(error_of("{chrZ}:1-10").find("unknown contig 'chrZ'"), std::string::npos);
    EXPECT_NE(error_of("chr1:900-1200").find("ends beyond the end of chr1 (length 1000)"),
              std::string::npos);
    EXPECT_NE(error_of("chr2:600-700").find("starts beyond"), std::string::npos);
    // From a start past the end to the end of the contig: past the end, not an empty interval.
    EXPECT_EQ(error_of("chr1:1500"),
              "region 'chr1:1500': starts beyond the end of chr1 (length 1000)");
    EXPECT_EQ(error_of("chr1:1001-"),
              "region 'chr1:1001-': starts beyond the end of chr1 (length 1000)");
    EXPECT_NE(error_of("chr1:0-100").find("positions are 1-based"), std::string::npos);  // fuzz
    // samtools' special regions say what stands for them here.
    EXPECT_EQ(error_of("*"),
              "region '*': samtools' unplaced reads, which only a SAM/BAM/CRAM input has");
    EXPECT_EQ(error_of("."), "region '.': samtools' 'everything'; here that is giving no region");
}

TEST(Regions, StarIsTheUnplacedReadsOfAlignments) {
    const auto rs = parse_regions({"chr2:1-10", "*"}, kContigs, RegionsOf::kReads);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_FALSE(rs[0].unplaced());
    EXPECT_TRUE(rs[1].unplaced());
    EXPECT_EQ(rs[1].label(), "*");
    EXPECT_EQ(rs[1].length(), 0);
    // Only "*" alone: it is no contig's name, nor a pattern.
    EXPECT_THROW((void)parse_regions({"*:1-10"}, kContigs, RegionsOf::kReads), Error);
    EXPECT_THROW((void)parse_regions({"chr*"}, kContigs, RegionsOf::kReads), Error);
}

TEST(Regions, BedParsingAndErrors) {
    const std::string path = testing::TempDir() + "/r.bed";
    {
        std::ofstream f(path);
        f << "track name=x\nbrowser position chr1:1-10\n# comment\nchr1\t0\t10\tpeak1\t5\t+\n"
             "chr2\t100\t200\nchr1\t5\t9\tg\t0\t-\tmore\nchr1\t5\t9\tx\t0\t.\n"
             "chr1\t5\t9\tx\t0\tlabel\ntrack1\t0\t5\n";
    }
    auto rs = read_bed(path, {{"chr1", 1000}, {"chr2", 500}, {"track1", 10}});
    ASSERT_EQ(rs.size(), 6u);
    EXPECT_EQ(rs[5].contig, "track1");  // a contig whose name starts like a header line
    EXPECT_EQ(rs[0].name, "peak1");
    EXPECT_EQ(rs[1].label(), "chr2:101-200");
    // Column 6 is the strand when it is '+' or '-' (a sixth column of labels is not an error).
    EXPECT_EQ(std::string({rs[0].strand, rs[1].strand, rs[2].strand, rs[3].strand, rs[4].strand}),
              "+.-..");
    EXPECT_EQ(rs[2].name, "g");
    auto bad = [&](const std::string& text, const std::string& needle) {
        {
            std::ofstream f(path);
            f << text;
        }
        try {
            (void)read_bed(path, kContigs);
            FAIL() << text;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(path + ":"), std::string::npos) << e.what();
        }
    };
    bad("chr1\t0\n", "expected at least 3 columns (chrom, start, end), separated by tabs");
    bad("chr1 0\n", "at least 3");
    bad("chr1\tx\t10\n", "start 'x'");
    bad("chrZ\t0\t10\n", "unknown contig 'chrZ'");
    bad("2\t0\t10\n", "unknown contig '2' (the input has 'chr2'");
    bad("chr1\t10\t10\n", "empty");
    bad("chr1\t0\t5000\n", "ends beyond");
    bad("", "no regions");
}

// BED12 (UCSC's genePred export, GENCODE's BEDs): thickStart/thickEnd and blocks as exons.
TEST(Regions, BedGeneModelsFromThickAndBlockColumns) {
    const std::string path =
        test::temp_text_file("genes.bed",
                             "chr1\t100\t1000\tA\t0\t+\t150\t700\t0\t2\t200,500,\t0,400,\n"
                             "chr1\t100\t200\tB\t0\t-\t100\t100\t255,0,0\t1\t100\t0\n"
                             "chr2\t5\t9\tC\t0\t+\n"
                             "chr2\t5\t9\tD\t0\t+\t6\t8\n");
    std::vector<GeneModel> m;
    const auto rs = read_bed(path, kContigs, &m);
    ASSERT_EQ(m.size(), rs.size());
    using Exons = std::vector<std::pair<std::int64_t, std::int64_t>>;
    EXPECT_EQ(m[0].exons, (Exons{{100, 300}, {500, 1000}}));
    EXPECT_EQ(std::make_pair(m[0].thick_beg, m[0].thick_end), std::make_pair(150L, 700L));
    EXPECT_EQ(m[1].exons, (Exons{{100, 200}}));
    EXPECT_EQ(m[1].thick_beg, m[1].thick_end);  // non-coding: all thin
    EXPECT_TRUE(m[2].exons.empty());            // BED6: one box, all thick
    EXPECT_EQ(std::make_pair(m[2].thick_beg, m[2].thick_end), std::make_pair(5L, 9L));
    EXPECT_EQ(std::make_pair(m[3].thick_beg, m[3].thick_end), std::make_pair(6L, 8L));

    auto error = [&](const std::string& columns) {
        const std::string bad =
            test::temp_text_file("bad12.bed", "chr1\t100\t1000\tA\t0\t+\t" + columns + "\n");
        try {
            (void)read_bed(bad, kContigs, &m);
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kInput);
            const std::string what = e.what();
            EXPECT_EQ(what.rfind(bad + ":1: ", 0), 0u) << what;
            return what.substr(bad.size() + 4);
        }
        return std::string("no error");
    };
    EXPECT_EQ(error("50\t700"), "thickStart-thickEnd 50-700 is not within start-end");
    EXPECT_EQ(error("700\t600"), "thickStart-thickEnd 700-600 is not within start-end");
    EXPECT_EQ(error("150\t700\t0\t2"),
              "blockCount without blockSizes and blockStarts (BED12 columns 10-12)");
    EXPECT_EQ(error("150\t700\t0\t0\t\t"), "blockCount is 0");
    EXPECT_EQ(error("150\t700\t0\t2\t200\t0,400"), "blockSizes lists 1 values, blockCount says 2");
    EXPECT_EQ(error("150\t700\t0\t2\t200,x\t0,400"),
              "blockSizes 'x' is not a non-negative integer");
    EXPECT_EQ(error("150\t700\t0\t2\t200,500\t10,400"),
              "the first block starts at 10, not 0 (blockStarts are relative to start)");
    EXPECT_EQ(error("150\t700\t0\t2\t200,500\t0,100"),
              "block 2 overlaps or comes before the one before it");
    EXPECT_EQ(error("150\t700\t0\t2\t200,600\t0,400"), "block 2 ends past end");
    EXPECT_EQ(error("150\t700\t0\t2\t200,9223372036854775807\t0,400"), "block 2 ends past end");
    EXPECT_EQ(error("150\t700\t0\t2\t200,5\t0,9223372036854775807"), "block 2 ends past end");
    EXPECT_EQ(error("150\t700\t0\t2\t200,400\t0,400"),
              "the last block ends at 900, not at end 1000");
    // Without `models` the columns past 6 are not read: the whole span is the region.
    EXPECT_EQ(
        read_bed(test::temp_text_file("bad12.bed", "chr1\t100\t1000\tA\t0\t+\t50\t9\n"), kContigs)
            .size(),
        1u);
}

// A feature's boxes: exons split at the coding part's ends; no model or no exons: the whole
// feature, thick or (non-coding) thin.
TEST(Regions, FeaturePiecesSplitExonsAtTheCodingPart) {
    Region f;
    f.contig = "a";
    f.beg = 100;
    f.end = 900;
    using P = std::vector<FeaturePiece>;
    EXPECT_EQ(feature_pieces(f, nullptr), (P{{100, 900, true}}));
    GeneModel m{{}, 100, 900};
    EXPECT_EQ(feature_pieces(f, &m), (P{{100, 900, true}}));
    m = {{}, 100, 100};
    EXPECT_EQ(feature_pieces(f, &m), (P{{100, 900, false}}));
    m = {{{100, 400}, {600, 900}}, 200, 700};
    EXPECT_EQ(feature_pieces(f, &m),
              (P{{100, 200, false}, {200, 400, true}, {600, 700, true}, {700, 900, false}}));
    m = {{{100, 400}, {600, 900}}, 400, 600};  // coding part in the intron alone: all thin
    EXPECT_EQ(feature_pieces(f, &m), (P{{100, 400, false}, {600, 900, false}}));
    m = {{{100, 400}, {600, 900}}, 100, 100};  // non-coding
    EXPECT_EQ(feature_pieces(f, &m), (P{{100, 400, false}, {600, 900, false}}));
    m = {{{100, 400}, {600, 900}}, 100, 900};
    EXPECT_EQ(feature_pieces(f, &m), (P{{100, 400, true}, {600, 900, true}}));
}

// The explorer's reading: a UCSC-named BED over an Ensembl-named genome, contigs mapped and said.
TEST(Regions, BedContigsMapToTheirAliasesWhenAsked) {
    const std::vector<Contig> ensembl = {{"1", 1000}, {"MT", 500}};
    const std::string path =
        test::temp_text_file("ucsc.bed", "chr1\t0\t10\ta\nchrM\t5\t9\tb\nchr1\t20\t30\tc\n");
    EXPECT_THROW((void)read_bed(path, ensembl), Error);  // the CLI keeps names exact
    std::map<std::string, std::string> aliases;
    const auto rs = read_bed(path, ensembl, nullptr, &aliases);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].contig, "1");
    EXPECT_EQ(rs[0].tid, 0);
    EXPECT_EQ(rs[1].contig, "MT");
    EXPECT_EQ(rs[1].tid, 1);
    EXPECT_EQ(aliases, (std::map<std::string, std::string>{{"chr1", "1"}, {"chrM", "MT"}}));
    // A name without one alias is still an error.
    EXPECT_THROW(
        (void)read_bed(test::temp_text_file("y.bed", "chrY\t0\t10\n"), ensembl, nullptr, &aliases),
        Error);
}

TEST(Regions, BedWithoutTabsIsSplitOnSpaces) {
    // UCSC reads whitespace-delimited BED, and samtools -L does; a line with a tab keeps spaces
    // inside its fields (a name with a space).
    const std::string path = testing::TempDir() + "/spaces.bed";
    std::ofstream(path) << "chr1 0  10\n  chr2   5 9 name 0 -\nchr1\t20\t30\tmy peak\t0\t+\n";
    const auto rs = read_bed(path, kContigs);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].label(), "chr1:1-10");
    EXPECT_EQ(rs[1].label(), "chr2:6-9");
    EXPECT_EQ(rs[1].name, "name");
    EXPECT_EQ(rs[1].strand, '-');
    EXPECT_EQ(rs[2].name, "my peak");
    EXPECT_EQ(rs[2].strand, '+');
}

TEST(Regions, SortAndMerge) {
    auto rs = sort_and_merge(
        parse_regions({"chr2:1-10", "chr1:50-60", "chr1:1-55", "chr1:61-70"}, kContigs));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].label(), "chr1:1-70");
    EXPECT_EQ(rs[1].label(), "chr2:1-10");
}

TEST(Regions, IndexAnswersOverlapsAtTheEdges) {
    // chr1:[0,10) and [19,30) (merged from two), chr2:[99,100); 0-based half-open queries.
    const RegionIndex index(
        parse_regions({"chr1:20-25", "chr1:1-10", "chr1:23-30", "chr2:100-100"}, kContigs));
    EXPECT_TRUE(index.overlaps("chr1", 0, 1));
    EXPECT_TRUE(index.overlaps("chr1", 9, 10));
    EXPECT_FALSE(index.overlaps("chr1", 10, 19));
    EXPECT_TRUE(index.overlaps("chr1", 10, 20));  // a deletion reaching the second region
    EXPECT_TRUE(index.overlaps("chr1", 5, 40));   // spanning both
    EXPECT_TRUE(index.overlaps("chr1", 29, 30));
    EXPECT_FALSE(index.overlaps("chr1", 30, 31));
    EXPECT_TRUE(index.overlaps("chr1", 19, 19));  // empty: the base at 19
    EXPECT_FALSE(index.overlaps("chr1", 15, 15));
    EXPECT_TRUE(index.overlaps("chr2", 99, 100));
    EXPECT_FALSE(index.overlaps("chr2", 98, 99));
    EXPECT_FALSE(index.overlaps("chr3", 0, 1000));
    EXPECT_FALSE(RegionIndex({}).overlaps("chr1", 0, 10));
}

}  // namespace
}  // namespace dnassm
