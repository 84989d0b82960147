// Classifier data splits: every class held out in proportion whatever the input order, the
// draws fixed by the seed, and region hold-outs that never let a training example touch them.
#include "train/labeled_split.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

// n examples per label, all of one label first (a file sorted by class), ids "label:i".
std::vector<LabeledSequence> sorted_by_label(const std::map<std::string, int>& counts) {
    std::vector<LabeledSequence> out;
    for (const auto& [label, n] : counts)
        for (int i = 0; i < n; ++i)
            out.push_back({label + ":" + std::to_string(i), "ACGT", label, {}});
    return out;
}

std::map<std::string, int> count_labels(const std::vector<LabeledSequence>& v) {
    std::map<std::string, int> c;
    for (const auto& e : v) ++c[e.label];
    return c;
}

std::vector<std::string> ids(const std::vector<LabeledSequence>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.id);
    return out;
}

bool in_input_order(const std::vector<LabeledSequence>& v,
                    const std::vector<LabeledSequence>& all) {
    size_t at = 0;
    for (const auto& e : v) {
        while (at < all.size() && all[at].id != e.id) ++at;
        if (at++ == all.size()) return false;
    }
    return true;
}

TEST(HoldOut, EveryClassIsHeldOutInProportionWhateverTheOrder) {
    const auto all = sorted_by_label({{"neg", 180}, {"pos", 20}, {"rare", 3}, {"single", 1}});
    const LabeledSplit s = hold_out(all, 0.1, 7);
    const auto val = count_labels(s.val), train = count_labels(s.train);
    EXPECT_EQ(val.at("neg"), 18);
    EXPECT_EQ(val.at("pos"), 2);
    EXPECT_EQ(val.at("rare"), 1);        // round(0.3) = 0, but a class of 3 still validates once
    EXPECT_EQ(val.count("single"), 0u);  // a class of one stays in training
    EXPECT_EQ(train.at("neg"), 162);
    EXPECT_EQ(train.at("rare"), 2);
    EXPECT_EQ(train.at("single"), 1);
    EXPECT_TRUE(in_input_order(s.train, all));
    EXPECT_TRUE(in_input_order(s.val, all));
    // Drawn from the whole class, not its first or last examples.
    const auto v = ids(s.val);
    int first = 0, last = 0;
    for (int k = 0; k < 18; ++k) {
        first += v[static_cast<size_t>(k)] == "neg:" + std::to_string(k);
        last += v[static_cast<size_t>(k)] == "neg:" + std::to_string(162 + k);
    }
    EXPECT_LT(first, 18);
    EXPECT_LT(last, 18);
}

TEST(HoldOut, RegressionTargetsAreOneGroup) {
    auto all = sorted_by_label({{"a", 50}, {"b", 50}});
    for (size_t i = 0; i < all.size(); ++i) all[i].label = std::to_string(0.5 * i);  // all distinct
    const LabeledSplit s = hold_out(all, 0.1, 4, false);
    EXPECT_EQ(s.val.size(), 10u);
    EXPECT_EQ(s.train.size(), 90u);
    EXPECT_TRUE(hold_out(all, 0.1, 4).val.empty());  // per class: a class of one stays in training
}

TEST(HoldOut, TheSeedFixesTheDraw) {
    const auto all = sorted_by_label({{"a", 50}, {"b", 50}});
    EXPECT_EQ(ids(hold_out(all, 0.1, 1).val), ids(hold_out(all, 0.1, 1).val));
    EXPECT_NE(ids(hold_out(all, 0.1, 1).val), ids(hold_out(all, 0.1, 2).val));
}

TEST(RandomSample, KeepsInputOrderAndDrawsFromTheWholeInput) {
    const auto all = sorted_by_label({{"a", 500}, {"b", 500}});
    const auto s = random_sample(all, 100, 3);
    ASSERT_EQ(s.size(), 100u);
    EXPECT_TRUE(in_input_order(s, all));
    const auto c = count_labels(s);  // not the first 100 (all "a")
    EXPECT_GT(c.at("b"), 30);
    EXPECT_GT(c.at("a"), 30);
    EXPECT_EQ(ids(random_sample(all, 100, 3)), ids(s));
    EXPECT_EQ(random_sample(all, 5000, 3).size(), all.size());
}

LabeledSequence at(const std::string& contig, std::int64_t beg, std::int64_t end) {
    Region r;
    r.contig = contig;
    r.beg = beg;
    r.end = end;
    return {contig + ":" + std::to_string(beg), "ACGT", "x", r};
}

Region region(const std::string& contig, int tid, std::int64_t beg, std::int64_t end) {
    Region r;
    r.contig = contig;
    r.tid = tid;
    r.beg = beg;
    r.end = end;
    return r;
}

TEST(SplitByRegions, AnExampleTouchingTheHeldOutRegionNeverTrains) {
    const std::vector<LabeledSequence> all = {at("chr1", 0, 100), at("chr1", 950, 1050),
                                              at("chr1", 1000, 1100), at("chr2", 0, 100),
                                              at("chr3", 0, 100)};
    const auto s = split_by_regions(all, {region("chr1", 0, 1000, 2000)}, {});
    EXPECT_EQ(ids(s.val), (std::vector<std::string>{"chr1:950", "chr1:1000"}));
    EXPECT_EQ(ids(s.train), (std::vector<std::string>{"chr1:0", "chr2:0", "chr3:0"}));
    // With --train-region, training keeps only what overlaps it; the rest is left out.
    const auto t = split_by_regions(all, {region("chr1", 0, 1000, 2000)},
                                    {region("chr2", 1, 0, 10), region("chr1", 0, 0, 2000)});
    EXPECT_EQ(ids(t.val), ids(s.val));
    EXPECT_EQ(ids(t.train), (std::vector<std::string>{"chr1:0", "chr2:0"}));
}

TEST(SplitByRegions, ExamplesWithoutCoordinatesAreAUsageError) {
    const auto all = sorted_by_label({{"a", 2}});
    try {
        (void)split_by_regions(all, {region("chr1", 0, 0, 10)}, {});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUsage);
        EXPECT_NE(std::string(e.what()).find("'a:0' has none"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace dnassm
