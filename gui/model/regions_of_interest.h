// Regions of interest marked in the explorer (IGV's Region Navigator): labelled intervals kept
// in genome order, saved with the session and exported as BED4 (chrom, start, end, label), the
// input `dnassm finetune --task classify --train regions.bed` reads (column 4: the class).
#pragma once

#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm::gui {

/// A label as a BED name: trimmed, "region" when empty. A tab or line break (which would
/// break the BED line) is Error(kUsage).
[[nodiscard]] std::string region_label(const std::string& text);

/// Adds `r` (its name the label) keeping `regions` in genome order: contigs as `contigs` lists
/// them, then start, end and label. The same interval with the same label is not added twice.
/// A contig `contigs` lacks, or an interval outside its contig, is Error(kInput).
void add_region(std::vector<Region>& regions, Region r, const std::vector<Contig>& contigs);

/// Removes the regions overlapping [beg, end) on `contig`; returns how many.
int remove_regions(std::vector<Region>& regions,
                   const std::string& contig,
                   std::int64_t beg,
                   std::int64_t end);

/// The regions as BED4 lines, in their order.
[[nodiscard]] std::string regions_bed(const std::vector<Region>& regions);

}  // namespace dnassm::gui
