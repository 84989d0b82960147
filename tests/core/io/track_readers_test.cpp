// bedGraph read back as UCSC's tools read it (whitespace fields, header lines, NaN as no value),
// with malformed lines named, and the bedGraph writer's lines merged across runs.
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"

#include "test_util.h"

namespace dnassm {
namespace {

std::string intervals(const Track& t) {
    std::ostringstream s;
    for (const auto& iv : t.intervals)
        s << t.contigs[static_cast<size_t>(iv.contig)].name << ':' << iv.beg << '-' << iv.end << '='
          << iv.value << ' ';
    return s.str();
}

TEST(BedGraphReader, ReadsHeaderLinesWhitespaceAndNaNAsUcscDoes) {
    const Track t =
        read_track(test::temp_text_file("ok.bedgraph",
                                        "track type=bedGraph name=x\n"
                                        "browser position c:1-10\n"
                                        "# a comment\n"
                                        "   \n"
                                        "c\t0\t2\t+1.5\r\n"
                                        "c 2 4   nan\n"
                                        "trackA\t4\t6\t-2e-3\textra columns ignored\n"));
    EXPECT_EQ(intervals(t), "c:0-2=1.5 trackA:4-6=-0.002 ");
    ASSERT_EQ(t.contigs.size(), 2u);
    EXPECT_EQ(t.contigs[0].length, 2);  // the NaN line covers nothing
}

TEST(BedGraphReader, NamesTheLineAndTheProblem) {
    const std::pair<const char*, const char*> cases[] = {
        {"c\t0\t2\n", "line 2: expected chrom, start, end, value"},
        {"c\t-1\t2\t1\n", "line 2: start '-1' is not a non-negative integer"},
        {"c\t5\t3\t1\n", "line 2: empty or reversed interval 5-3"},
        {"c\t3\t3\t1\n", "line 2: empty or reversed interval 3-3"},
        {"c\t0\t99999999999\t1\n",
         "line 2: end 99999999999 is past 4294967295, the largest position a track holds"},
        {"c\t0\t2\tinf\n", "line 2: value 'inf' is not a finite number a track holds"},
        {"c\t0\t2\t1e400\n", "line 2: value '1e400' is not a finite number a track holds"},
        {"c\t0\t2\t1,5\n", "line 2: value '1,5' is not a number"},
    };
    for (const auto& [line, message] : cases) {
        const std::string path =
            test::temp_text_file("bad.bedgraph", std::string("c\t10\t11\t0\n") + line);
        try {
            (void)read_track(path);
            ADD_FAILURE() << line;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kInput);
            EXPECT_EQ(std::string(e.what()), path + ": " + message);
        }
    }
}

std::string streamed(const TrackFile& f, const std::string& contig) {
    std::ostringstream s;
    TrackInterval iv;
    for (auto cursor = f.intervals(contig); cursor->next(iv);)
        s << iv.beg << '-' << iv.end << '=' << iv.value << ' ';
    return s.str();
}

TEST(TrackFile, StreamsEachContigInPositionOrder) {
    // A bigWig with more values than one iterator step reads (16 blocks of ~8 k values each).
    const std::string bw = testing::TempDir() + "/streamed.bw";
    {
        auto w = TrackWriter::create(bw, {{"a", 400000}, {"b", 50}, {"c", 10}});
        std::vector<float> v(300000);
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7);
        w->add_run("a", 5, v.data(), static_cast<std::int64_t>(v.size()));
        const float b[] = {1.5f, 2.5f};
        w->add_run("b", 3, b, 2);
        w->commit();
    }
    const TrackFile f(bw);
    ASSERT_EQ(f.contigs().size(), 3u);
    EXPECT_EQ(f.contigs()[0].length, 400000);
    std::int64_t n = 0, next = 5;
    TrackInterval iv;
    for (auto cursor = f.intervals("a"); cursor->next(iv); ++n) {
        ASSERT_EQ(iv.beg, next);
        ASSERT_EQ(iv.value, static_cast<float>((iv.beg - 5) % 7));
        next = iv.end;
    }
    EXPECT_EQ(n, 300000);
    EXPECT_EQ(streamed(f, "b"), "3-4=1.5 4-5=2.5 ");
    EXPECT_EQ(streamed(f, "c"), "");  // in the header, without values
    EXPECT_THROW((void)f.intervals("d"), Error);

    // A bedGraph's lines in any order come back sorted per contig.
    const TrackFile g(
        test::temp_text_file("unsorted.bedgraph", "x\t10\t12\t2\ny\t0\t1\t9\nx\t0\t5\t1\n"));
    ASSERT_EQ(g.contigs().size(), 2u);
    EXPECT_EQ(g.contigs()[0].length, 12);
    EXPECT_EQ(streamed(g, "x"), "0-5=1 10-12=2 ");
    EXPECT_EQ(streamed(g, "y"), "0-1=9 ");
}

// A region query of a held bedGraph returns every interval that overlaps it, in start order,
// whether its lines are disjoint (as dnassm writes them; found by their ends) or overlap (found
// through the running largest end), and nothing past the region.
TEST(TrackFile, RegionQueriesOfABedGraphFindEveryOverlappingInterval) {
    std::mt19937 rng(7);
    for (const bool overlapping : {false, true}) {
        std::ostringstream text;
        std::vector<std::array<std::int64_t, 2>> lines;
        for (std::int64_t pos = 0; pos < 5000;) {
            const std::int64_t len = 1 + static_cast<std::int64_t>(rng() % 40);
            const std::int64_t end = pos + len + (overlapping && rng() % 3 == 0 ? 60 : 0);
            lines.push_back({pos, end});
            text << "c\t" << pos << '\t' << end << '\t' << lines.size() << '\n';
            pos += len + static_cast<std::int64_t>(rng() % 5);
        }
        const TrackFile f(test::temp_text_file("query.bedgraph", text.str()));
        for (int q = 0; q < 300; ++q) {
            const auto beg = static_cast<std::int64_t>(rng() % 5100);
            const std::int64_t end = beg + 1 + static_cast<std::int64_t>(rng() % 200);
            std::string want, got;
            for (size_t i = 0; i < lines.size(); ++i)
                if (lines[i][0] < end && lines[i][1] > beg) want += std::to_string(i + 1) + ' ';
            TrackInterval iv;
            for (auto cursor = f.intervals("c", beg, end); cursor->next(iv);) {
                ASSERT_LT(iv.beg, end);
                if (iv.end > beg) got += std::to_string(static_cast<int>(iv.value)) + ' ';
            }
            ASSERT_EQ(got, want) << beg << '-' << end << (overlapping ? " overlapping" : "");
        }
    }
}

// min, mean and max of values[b, e) per bin, as a view computes them from per-base values.
std::vector<TrackBin> brute_summary(const std::vector<float>& v, int bins) {
    std::vector<TrackBin> out(static_cast<size_t>(bins));
    const auto n = static_cast<std::int64_t>(v.size());
    for (int i = 0; i < bins; ++i) {
        double sum = 0;
        std::int64_t k = 0;
        TrackBin& b = out[static_cast<size_t>(i)];
        for (std::int64_t p = n * i / bins; p < n * (i + 1) / bins; ++p) {
            const float x = v[static_cast<size_t>(p)];
            if (std::isnan(x)) continue;
            b.min = k ? std::min(b.min, x) : x;
            b.max = k ? std::max(b.max, x) : x;
            sum += x;
            ++k;
        }
        b.valid = k > 0;
        if (k) b.mean = static_cast<float>(sum / static_cast<double>(k));
    }
    return out;
}

// A track of no values (a region of N bases) is a valid empty file: a bigWig with its contigs and
// an empty index (libBigWig alone leaves the index offset at 0), a bedGraph of no lines.
TEST(TrackWriter, NoValuesMakeAValidEmptyTrack) {
    for (const std::string name : {"empty.bw", "empty.bedgraph", "empty.bedgraph.gz"}) {
        const std::string path = testing::TempDir() + "/" + name;
        {
            auto w = TrackWriter::create(path, {{"a", 1000}, {"b", 50}});
            EXPECT_TRUE(w->empty()) << name;
            w->commit();
        }
        const TrackFile f(path);
        if (name == "empty.bw") {  // the header's contigs, no value on either
            ASSERT_EQ(f.contigs().size(), 2u);
            EXPECT_EQ(f.contigs()[1].length, 50);
            TrackInterval iv;
            EXPECT_FALSE(f.intervals("a")->next(iv));
            EXPECT_FALSE(f.intervals("b", 0, 50)->next(iv));
            EXPECT_TRUE(std::isnan(f.values("a", 0, 10).front()));
        } else {  // a bedGraph names only the contigs it has values on
            EXPECT_TRUE(f.contigs().empty()) << name;
        }
        const float one = 1.0f;
        auto w = TrackWriter::create(path, {{"a", 1000}});
        w->add_run("a", 3, &one, 1);
        EXPECT_FALSE(w->empty()) << name;
    }
}

TEST(TrackFile, SummariesOfABedGraphAreExactAndABigWigsComeFromItsZoomLevels) {
    // 2 Mb with a gap, values in [0, 1).
    std::vector<float> v(2'000'000);
    std::uint32_t x = 12345;
    for (auto& f : v) {
        x = x * 1664525u + 1013904223u;
        f = static_cast<float>(x >> 8) / 16777216.0f;
    }
    const std::string bw = testing::TempDir() + "/summary.bw",
                      bg = testing::TempDir() + "/summary.bedgraph";
    for (const std::string& path : {bw, bg}) {
        auto w = TrackWriter::create(path, {{"c", 3'000'000}});
        w->add_run("c", 0, v.data(), 1'200'000);
        w->add_run("c", 1'500'000, v.data() + 1'500'000, 500'000);
        w->commit();
    }
    std::vector<float> full(2'500'000, NAN);
    std::copy(v.begin(), v.begin() + 1'200'000, full.begin());
    std::copy(v.begin() + 1'500'000, v.end(), full.begin() + 1'500'000);
    const int bins = 250;  // 10 kb each
    const auto want = brute_summary(full, bins);
    const TrackFile graph(bg), wig(bw);
    const auto exact = graph.summary("c", 0, 2'500'000, bins);
    const auto zoomed = wig.summary("c", 0, 2'500'000, bins);
    ASSERT_EQ(exact.size(), static_cast<size_t>(bins));
    ASSERT_EQ(zoomed.size(), static_cast<size_t>(bins));
    for (int i = 0; i < bins; ++i) {
        const TrackBin &w = want[static_cast<size_t>(i)], &e = exact[static_cast<size_t>(i)],
                       &z = zoomed[static_cast<size_t>(i)];
        ASSERT_EQ(e.valid, w.valid) << i;
        ASSERT_EQ(z.valid, w.valid) << i;
        if (!w.valid) continue;
        EXPECT_NEAR(e.min, w.min, 1e-6) << i;  // to the bedGraph's printed 7 digits
        EXPECT_NEAR(e.max, w.max, 1e-6) << i;
        EXPECT_NEAR(e.mean, w.mean, 1e-6) << i;
        // A zoom record straddling a bin edge adds a few bases of the next bin.
        EXPECT_LE(z.min, w.min + 1e-6f) << i;
        EXPECT_GE(z.max, w.max - 1e-6f) << i;
        EXPECT_NEAR(z.mean, w.mean, 0.02) << i;  // values in [0, 1)
    }
    EXPECT_FALSE(graph.summary("other", 0, 10, 2)[1].valid);
}

TEST(BedGraphWriter, MergesEqualNeighboursAcrossRunsButNeverNaN) {
    const std::string path = testing::TempDir() + "/merged.bedgraph";
    auto w = TrackWriter::create(path, {{"c", 100}, {"d", 100}});
    const float a[] = {1, 2, 2}, b[] = {2, 3}, nan2[] = {NAN, NAN};
    w->add_run("c", 0, a, 3);
    w->add_run("c", 3, b, 2);     // continues the 2s
    w->add_run("c", 6, b, 1);     // a gap: a line of its own
    w->add_run("d", 7, b, 1);     // another contig
    w->add_run("d", 8, nan2, 2);  // NaN equals nothing
    w->commit();
    std::ostringstream got;
    got << std::ifstream(path).rdbuf();
    EXPECT_EQ(got.str(),
              "c\t0\t1\t1\nc\t1\t4\t2\nc\t4\t5\t3\nc\t6\t7\t2\nd\t7\t8\t2\nd\t8\t9\tnan\n"
              "d\t9\t10\tnan\n");
}

// What produced a track: "# key: value" lines at the top of a bedGraph, one line each whatever a
// value holds, which the reader (as UCSC's and bedtools') skips; a bigWig has no place for them.
TEST(TrackWriter, DescriptionIsCommentLinesAtopABedGraph) {
    const FileAttributes about = {{"dnassm_version", "1.2.3"}, {"command", "dnassm predict\n-o x"}};
    for (const char* name : {"described.bedgraph", "described.bw"}) {
        const std::string path = testing::TempDir() + "/" + name;
        auto w = TrackWriter::create(path, {{"c", 100}});
        w->describe(about);
        const float v[] = {1, 2};
        w->add_run("c", 5, v, 2);
        const bool bedgraph = std::string(name).ends_with(".bedgraph");
        EXPECT_EQ(w->keeps_description(), bedgraph);
        if (bedgraph) {
            EXPECT_THROW(w->describe(about), Error) << "a description after values";
        }
        w->commit();
        const Track t = read_track(path);
        EXPECT_EQ(intervals(t), "c:5-6=1 c:6-7=2 ");
        EXPECT_EQ(TrackFile(path).description(), t.description);
        if (!bedgraph) {
            EXPECT_TRUE(t.description.empty());
            continue;
        }
        EXPECT_EQ(t.description, (FileAttributes{{"dnassm_version", "1.2.3"},
                                                 {"command", "dnassm predict -o x"}}));
        EXPECT_EQ(read_track_description(path), t.description);
        std::ostringstream got;
        got << std::ifstream(path).rdbuf();
        EXPECT_EQ(
            got.str(),
            "# dnassm_version: 1.2.3\n# command: dnassm predict -o x\nc\t5\t6\t1\nc\t6\t7\t2\n");
    }
}

// The description alone comes from the top of a bedGraph: what follows is not read.
TEST(TrackWriter, DescriptionAloneIsReadFromTheTop) {
    const std::string path = test::temp_text_file(
        "top.bedgraph",
        "track type=bedGraph\n# a: b: c\r\n#plain comment\n  \n# d: \nc\t0\t1\t1\nbad\n");
    EXPECT_EQ(read_track_description(path), (FileAttributes{{"a", "b: c"}, {"d", ""}}));
    EXPECT_THROW((void)read_track(path), Error);
    // Lines below the first data line (a NaN one too) are comments, not the description.
    const std::string late =
        test::temp_text_file("late.bedgraph", "# a: b\nc\t0\t1\tnan\n# late: x\nc\t1\t2\t1\n");
    EXPECT_EQ(read_track(late).description, (FileAttributes{{"a", "b"}}));
    EXPECT_EQ(read_track_description(late), read_track(late).description);
}

// Bins: one value per span of bases, read back as one interval each from either format (a
// bigWig stores them as one fixed-step block).
TEST(TrackWriter, SpansOfBasesReadBackAsIntervals) {
    const float bins[] = {0.5f, 0.25f, 0.25f}, clipped = 2.0f;
    for (const char* name : {"bins.bw", "bins.bedgraph"}) {
        const std::string path = testing::TempDir() + "/" + name;
        auto w = TrackWriter::create(path, {{"c", 1000}});
        w->add_spans("c", 7, 3, &clipped, 1);  // [7, 10)
        w->add_spans("c", 10, 50, bins, 3);    // [10, 60) [60, 110) [110, 160)
        w->commit();
        const Track t = read_track(path);
        std::vector<std::pair<std::int64_t, std::int64_t>> edges;
        std::vector<float> values;
        for (const TrackInterval& iv : t.intervals) {
            edges.emplace_back(iv.beg, iv.end);
            values.push_back(iv.value);
        }
        if (std::string(name).ends_with(".bw")) {
            EXPECT_EQ(edges, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                                 {7, 10}, {10, 60}, {60, 110}, {110, 160}}));
            EXPECT_EQ(values, (std::vector<float>{2.0f, 0.5f, 0.25f, 0.25f}));
        } else {  // equal neighbours share a line
            EXPECT_EQ(edges, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                                 {7, 10}, {10, 60}, {60, 160}}));
            EXPECT_EQ(values, (std::vector<float>{2.0f, 0.5f, 0.25f}));
        }
    }
}

}  // namespace
}  // namespace dnassm
