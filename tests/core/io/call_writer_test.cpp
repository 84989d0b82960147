#include "dnassm/io/call_writer.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

constexpr float kNan = NAN;

std::string calls_of(const CallOptions& options,
                     const std::vector<std::pair<std::int64_t, std::vector<float>>>& runs,
                     const std::string& contig = "chr1") {
    const std::string path = testing::TempDir() + "/calls.bed";
    CallWriter w(path, options);
    for (const auto& [start, values] : runs)
        w.add_run(contig, start, values.data(), static_cast<std::int64_t>(values.size()));
    w.commit();
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A binned track: each value covers its span, and the score is the mean over bases.
TEST(CallWriter, BinsCoverTheirSpans) {
    const std::string path = testing::TempDir() + "/bins.bed";
    CallOptions o;
    o.probability = true;
    o.min_length = 60;
    CallWriter w(path, o);
    const float bins[] = {0.9f, 0.6f, 0.1f, 0.8f}, clipped = 0.6f;
    w.add_spans("chr1", 0, 50, bins, 4);  // passes [0, 100) and [150, 200)
    w.add_spans("chr1", 200, 20, &clipped, 1);
    w.commit();
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    // (0.9·50 + 0.6·50) / 100 = 0.75; (0.8·50 + 0.6·20) / 70 = 0.743.
    EXPECT_EQ(text.str(), "chr1\t0\t100\tcall\t750\t.\nchr1\t150\t220\tcall\t743\t.\n");
}

TEST(CallWriter, MaximalRunsAtOrAboveThresholdWithProbabilityScores) {
    CallOptions o;
    o.name = "p_gene";
    o.probability = true;
    EXPECT_EQ(calls_of(o, {{10, {0.1f, 0.5f, 0.9f, 0.2f, 0.7f, 0.8f}}}),
              "chr1\t11\t13\tp_gene\t700\t.\n"
              "chr1\t14\t16\tp_gene\t750\t.\n");
}

TEST(CallWriter, UndefinedBasesNeverPassAndBreakCalls) {
    CallOptions o;
    o.threshold = -1.0f;
    o.below = true;
    o.name = "loglik";
    EXPECT_EQ(calls_of(o, {{0, {-2.0f, kNan, -3.0f, -0.5f}}}),
              "chr1\t0\t1\tloglik\t0\t.\n"
              "chr1\t2\t3\tloglik\t0\t.\n");
}

TEST(CallWriter, JoinsAcrossRunsOnlyWhenAdjacentOrWithinMergeGap) {
    CallOptions o;
    o.probability = true;
    // Book-ended runs (as predict hands over at an undefined base's neighbours) join; a gap of 2
    // bases joins only with merge_gap >= 2, and the score averages the called bases only.
    const std::vector<std::pair<std::int64_t, std::vector<float>>> runs = {
        {0, {0.6f, 0.6f}}, {2, {1.0f}}, {5, {0.8f}}};
    EXPECT_EQ(calls_of(o, runs), "chr1\t0\t3\tcall\t733\t.\nchr1\t5\t6\tcall\t800\t.\n");
    o.merge_gap = 1;
    EXPECT_EQ(calls_of(o, runs), "chr1\t0\t3\tcall\t733\t.\nchr1\t5\t6\tcall\t800\t.\n");
    o.merge_gap = 2;
    EXPECT_EQ(calls_of(o, runs), "chr1\t0\t6\tcall\t750\t.\n");
}

TEST(CallWriter, MinLengthAppliesAfterJoining) {
    CallOptions o;
    o.min_length = 3;
    o.merge_gap = 1;
    EXPECT_EQ(calls_of(o, {{0, {0.9f, 0.0f, 0.9f, 0.0f, 0.0f, 0.9f, 0.9f}}}),
              "chr1\t0\t3\tcall\t0\t.\n");
}

TEST(CallWriter, ContigChangeEndsACall) {
    const std::string path = testing::TempDir() + "/two.bed";
    CallWriter w(path, CallOptions{});
    const std::vector<float> hi = {0.9f, 0.9f};
    w.add_run("a", 8, hi.data(), 2);
    w.add_run("b", 10, hi.data(), 2);
    w.commit();
    EXPECT_EQ(w.calls(), 2);
    EXPECT_EQ(w.called_bases(), 4);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "a\t8\t10\tcall\t0\t.\nb\t10\t12\tcall\t0\t.\n");
}

TEST(CallWriter, NothingCalledIsAnEmptyFileAndNoCommitLeavesNothing) {
    EXPECT_EQ(calls_of(CallOptions{}, {{0, {0.1f, kNan}}}), "");
    const std::string path = testing::TempDir() + "/uncommitted.bed";
    std::filesystem::remove(path);
    {
        CallWriter w(path, CallOptions{});
        const float v = 0.9f;
        w.add_run("chr1", 0, &v, 1);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(CallWriter, DescriptionIsCommentLinesBeforeTheCalls) {
    const std::string path = testing::TempDir() + "/described.bed";
    CallWriter w(path, {});
    EXPECT_TRUE(w.keeps_description());
    w.describe({{"track", "p_1"}});
    const float v[] = {0.9f};
    w.add_run("chr1", 3, v, 1);
    EXPECT_THROW(w.describe({{"track", "p_1"}}), Error);
    w.commit();
    std::ostringstream got;
    got << std::ifstream(path).rdbuf();
    EXPECT_EQ(got.str(), "# track: p_1\nchr1\t3\t4\tcall\t0\t.\n");
}

TEST(CallWriter, RejectsBadOptions) {
    const std::string path = testing::TempDir() + "/bad.bed";
    CallOptions o;
    o.min_length = 0;
    EXPECT_THROW(CallWriter(path, o), Error);
    o = CallOptions{};
    o.merge_gap = -1;
    EXPECT_THROW(CallWriter(path, o), Error);
    o = CallOptions{};
    o.threshold = kNan;
    EXPECT_THROW(CallWriter(path, o), Error);
    EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace dnassm
