// --shard I/N: parsing, the base-wise pieces of predict and the round-robin of records.
#include "dnassm/shard.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

Region reg(const std::string& c, std::int64_t b, std::int64_t e) {
    Region r;
    r.contig = c;
    r.beg = b;
    r.end = e;
    return r;
}

TEST(Shard, ParsesOneBasedIndexOfCount) {
    const Shard s = parse_shard("3/8");
    EXPECT_EQ(s.index, 2);
    EXPECT_EQ(s.count, 8);
    EXPECT_EQ(s.label(), "3/8");
    EXPECT_TRUE(parse_shard("1/1").whole());
    for (const char* bad :
         {"0/4", "5/4", "4", "/4", "1/", "a/4", "1/4x", "-1/4", "1/0", " 1/4", "1/1234567890"}) {
        try {
            (void)parse_shard(bad);
            ADD_FAILURE() << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kUsage) << bad;
            EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
        }
    }
    try {
        (void)parse_shard("1/0");
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "--shard 1/0: N, the number of shards, must be at least 1");
    }
}

TEST(Shard, RecordBlocksFollowEachOtherAndDifferByAtMostOne) {
    for (std::int64_t total : {1, 7, 10, 1000}) {
        for (std::int64_t n = 1; n <= std::min<std::int64_t>(total, 12); ++n) {
            std::int64_t next = 0, smallest = total, largest = 0;
            for (std::int64_t i = 0; i < n; ++i) {
                const RecordRange r = shard_records(total, {i, n}, "records");
                EXPECT_EQ(r.begin, next) << total << " " << i << "/" << n;
                EXPECT_LT(r.begin, r.end);
                EXPECT_TRUE(r.contains(r.begin));
                EXPECT_FALSE(r.contains(r.end));
                smallest = std::min(smallest, r.end - r.begin);
                largest = std::max(largest, r.end - r.begin);
                next = r.end;
            }
            EXPECT_EQ(next, total);
            EXPECT_LE(largest - smallest, 1);
        }
    }
    EXPECT_TRUE(RecordRange{}.contains(1'000'000'000'000));
    try {
        (void)shard_records(3, parse_shard("4/4"), "records of in.vcf");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "--shard 4/4: more shards than records of in.vcf (3)");
    }
}

TEST(Shard, BasePiecesTileTheRegionsInOrderAndDifferByAtMostOne) {
    std::vector<Region> regions = {reg("a", 10, 17), reg("b", 0, 3), reg("c", 100, 113)};
    regions[1].name = "kept";
    for (std::int64_t n = 1; n <= 23; ++n) {
        std::vector<Region> all;
        std::int64_t smallest = 1 << 30, largest = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            std::int64_t size = 0;
            for (const Region& r : shard_bases(regions, {i, n})) {
                EXPECT_LT(r.beg, r.end);
                size += r.length();
                // Consecutive pieces of one region are joined back to compare with the input.
                if (!all.empty() && all.back().contig == r.contig && all.back().end == r.beg)
                    all.back().end = r.end;
                else
                    all.push_back(r);
            }
            smallest = std::min(smallest, size);
            largest = std::max(largest, size);
        }
        EXPECT_LE(largest - smallest, 1) << n;
        ASSERT_EQ(all.size(), regions.size()) << n;
        for (size_t k = 0; k < regions.size(); ++k) {
            EXPECT_EQ(all[k].contig, regions[k].contig);
            EXPECT_EQ(all[k].beg, regions[k].beg);
            EXPECT_EQ(all[k].end, regions[k].end);
            EXPECT_EQ(all[k].name, regions[k].name);
        }
    }
    EXPECT_THROW((void)shard_bases(regions, {0, 24}), Error);
}

TEST(Shard, AlignedCutsFallOnMultiplesAndStillTileTheRegions) {
    const std::vector<Region> regions = {reg("a", 13, 170), reg("b", 0, 31), reg("c", 105, 230)};
    for (std::int64_t n = 1; n <= 12; ++n) {
        std::vector<Region> all;
        for (std::int64_t i = 0; i < n; ++i)
            for (const Region& r : shard_bases(regions, {i, n}, 25)) {
                EXPECT_LT(r.beg, r.end);
                // A cut inside a region falls on a multiple of 25.
                if (!all.empty() && all.back().contig == r.contig && all.back().end == r.beg) {
                    EXPECT_EQ(r.beg % 25, 0) << n;
                    all.back().end = r.end;
                } else {
                    all.push_back(r);
                }
            }
        ASSERT_EQ(all.size(), regions.size()) << n;
        for (size_t k = 0; k < regions.size(); ++k) {
            EXPECT_EQ(all[k].beg, regions[k].beg) << n;
            EXPECT_EQ(all[k].end, regions[k].end) << n;
        }
    }
    // Shard 2 of 2 of 13..170 cuts at 91, moved back to 75.
    const auto second = shard_bases({regions[0]}, {1, 2}, 25);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].beg, 75);
}

TEST(Shard, GenomeScaleBoundariesDoNotOverflow) {
    const std::vector<Region> genome = {reg("big", 0, std::int64_t{1} << 40)};
    const Shard last{999'999'999, 1'000'000'000};
    const auto piece = shard_bases(genome, last);
    ASSERT_EQ(piece.size(), 1u);
    EXPECT_EQ(piece[0].end, std::int64_t{1} << 40);
    const std::int64_t floor = (std::int64_t{1} << 40) / 1'000'000'000;
    EXPECT_GE(piece[0].length(), floor);
    EXPECT_LE(piece[0].length(), floor + 1);
}

}  // namespace
}  // namespace dnassm
