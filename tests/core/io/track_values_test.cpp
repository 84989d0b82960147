// Per-base values of a track over regions: a bigWig queried through its index and a bedGraph read
// once give the same floats, NaN where the track has none.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "dnassm/io/writers.h"

namespace dnassm {
namespace {

std::string written(const std::string& name) {
    const std::string path = testing::TempDir() + "/" + name;
    auto w = TrackWriter::create(path, {{"chr1", 100}, {"chr2", 50}});
    const float a[] = {1.5f, 2.5f, 3.5f}, b[] = {-1.0f, 0.25f};
    w->add_run("chr1", 10, a, 3);  // bases 10-12
    w->add_run("chr1", 20, b, 2);  // bases 20-21
    w->add_run("chr2", 0, b, 2);
    w->commit();
    return path;
}

std::string shown(const std::vector<float>& v) {
    std::ostringstream s;
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) s << ' ';
        if (std::isnan(v[i]))
            s << "NA";
        else
            s << v[i];
    }
    return s.str();
}

TEST(TrackFileValues, BigWigAndBedGraphAgreeBaseForBase) {
    for (const char* name : {"values.bw", "values.bedgraph", "values.bedgraph.gz"}) {
        const TrackFile t(written(name));
        EXPECT_EQ(shown(t.values("chr1", 9, 14)), "NA 1.5 2.5 3.5 NA") << name;
        EXPECT_EQ(shown(t.values("chr1", 11, 22)), "2.5 3.5 NA NA NA NA NA NA NA -1 0.25") << name;
        EXPECT_EQ(shown(t.values("chr2", 1, 3)), "0.25 NA") << name;
        EXPECT_EQ(shown(t.values("chr3", 0, 2)), "NA NA") << name;  // a contig it does not cover
    }
}

TEST(TrackFileValues, BedGraphRegionsFindALongIntervalThatStartedEarlier) {
    // Overlapping lines (not checked for in a bedGraph): a query far into the first, long interval
    // still sees it, and where two cover a base the later start wins.
    const std::string path = testing::TempDir() + "/overlapping.bedgraph";
    std::ofstream(path) << "c\t0\t100\t1\nc\t10\t20\t2\nc\t30\t40\t3\nc\t200\t210\t4\n";
    const TrackFile t(path);
    EXPECT_EQ(shown(t.values("c", 50, 53)), "1 1 1");
    EXPECT_EQ(shown(t.values("c", 18, 22)), "2 2 1 1");
    EXPECT_EQ(shown(t.values("c", 98, 102)), "1 1 NA NA");
    EXPECT_EQ(shown(t.values("c", 150, 152)), "NA NA");
    EXPECT_EQ(shown(t.values("c", 209, 212)), "4 NA NA");  // past the last covered base
}

}  // namespace
}  // namespace dnassm
