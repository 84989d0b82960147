#include "feature_rows.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace dnassm::gui {

int FeatureRows::on(const std::string& contig) const {
    const auto it = per_contig.find(contig);
    return it == per_contig.end() ? 1 : std::max(1, it->second);
}

FeatureRows pack_feature_rows(const std::vector<Region>& features, int max_rows) {
    FeatureRows out;
    out.row.assign(features.size(), 0);
    max_rows = std::max(1, max_rows);
    std::vector<size_t> order(features.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const Region &x = features[a], &y = features[b];
        return x.contig != y.contig ? x.contig < y.contig : x.beg < y.beg;
    });
    std::string contig;
    std::vector<std::int64_t> row_end;  // where each row's last feature ends, on this contig
    for (const size_t i : order) {
        const Region& f = features[i];
        if (f.contig != contig) {
            contig = f.contig;
            row_end.clear();
        }
        size_t r = 0;
        while (r < row_end.size() && row_end[r] > f.beg) ++r;
        if (r == row_end.size()) {
            if (static_cast<int>(r) < max_rows)
                row_end.push_back(f.end);
            else
                r = row_end.size() - 1;
        }
        row_end[r] = std::max(row_end[r], f.end);
        out.row[i] = static_cast<int>(r);
        out.per_contig[contig] = static_cast<int>(row_end.size());
    }
    return out;
}

}  // namespace dnassm::gui
