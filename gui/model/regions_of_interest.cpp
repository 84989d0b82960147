#include "regions_of_interest.h"

#include <algorithm>
#include <tuple>

#include "dnassm/error.h"

namespace dnassm::gui {

std::string region_label(const std::string& text) {
    DNASSM_CHECK(text.find_first_of("\t\r\n") == std::string::npos, ErrorKind::kUsage,
                 "a region's label cannot hold a tab or line break (it is a BED name)");
    const size_t a = text.find_first_not_of(' ');
    if (a == std::string::npos) return "region";
    return text.substr(a, text.find_last_not_of(' ') - a + 1);
}

void add_region(std::vector<Region>& regions, Region r, const std::vector<Contig>& contigs) {
    resolve_region(r, contigs, "region of interest");
    r.name = region_label(r.name);
    const auto key = [](const Region& x) { return std::tie(x.tid, x.beg, x.end, x.name); };
    const auto at =
        std::lower_bound(regions.begin(), regions.end(), r,
                         [&](const Region& a, const Region& b) { return key(a) < key(b); });
    if (at != regions.end() && key(*at) == key(r)) return;
    regions.insert(at, std::move(r));
}

int remove_regions(std::vector<Region>& regions,
                   const std::string& contig,
                   std::int64_t beg,
                   std::int64_t end) {
    const auto n = std::erase_if(
        regions, [&](const Region& r) { return r.contig == contig && r.beg < end && beg < r.end; });
    return static_cast<int>(n);
}

std::string regions_bed(const std::vector<Region>& regions) {
    std::string out;
    for (const Region& r : regions)
        out += r.contig + "\t" + std::to_string(r.beg) + "\t" + std::to_string(r.end) + "\t" +
               r.name + "\n";
    return out;
}

}  // namespace dnassm::gui
