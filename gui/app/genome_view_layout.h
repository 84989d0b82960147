// What GenomeView's layout and its painting (genome_view.cpp, genome_view_paint.cpp) share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dnassm/io/region.h"

#include "model/locus.h"

namespace dnassm::gui {

constexpr std::int64_t kMaxCoverageWidth = 2'000'000;  // like IGV's visibility window
// From this many bases per pixel, signal tracks are drawn from summaries instead of every base.
constexpr std::int64_t kSummaryBasesPerPixel = 256;
constexpr int kSequenceHeight = 24, kFeatureRowHeight = 28, kMaxFeatureRows = 8,
              kCoverageHeight = 60, kHeatRowHeight = 10;

// Whether a feature track over `l`, `width` pixels wide, is drawn as its density: more features
// in view than pixels would merge into one bar (IGV's and JBrowse's tracks switch so zoomed out).
inline bool drawn_as_density(const std::vector<Region>& features, const Locus& l, int width) {
    return std::count_if(features.begin(), features.end(), [&](const Region& f) {
               return f.contig == l.contig && f.end > l.beg && f.beg < l.end;
           }) > width;
}

}  // namespace dnassm::gui
