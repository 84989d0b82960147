// Per-pixel summaries of per-base values (min / mean / max, as IGV's windowing functions and
// JBrowse's whiskers) and robust autoscaling for line tracks and heatmaps.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dnassm/io/writers.h"

namespace dnassm::gui {

// One pixel's summary: the type a track file's zoomed-out summary (TrackFile::summary) gives too.
using PixelBin = dnassm::TrackBin;

/// values[i] is base i of the visible range (NaN = no value); returns `pixels` bins, bin p
/// covering bases [p·n/pixels, (p+1)·n/pixels) (at least one base each when zoomed in).
[[nodiscard]] std::vector<PixelBin> summarize(std::span<const float> values, int pixels);

struct ValueRange {
    float lo = 0, hi = 1;
};

/// The [lo_q, hi_q] quantiles of the defined values (robust to outliers); {0, 1} when none,
/// widened when flat.
[[nodiscard]] ValueRange robust_range(std::span<const float> values,
                                      double lo_q = 0.01,
                                      double hi_q = 0.99);

}  // namespace dnassm::gui
