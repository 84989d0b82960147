#include "train/gene_structure.h"

#include <algorithm>

#include "dnassm/error.h"

namespace dnassm {

void paint_gene_structure(const std::vector<Region>& genes,
                          const std::vector<GeneModel>& models,
                          const Region& region,
                          std::vector<std::int32_t>& labels) {
    DNASSM_CHECK(models.size() == genes.size() &&
                     static_cast<std::int64_t>(labels.size()) == region.length(),
                 ErrorKind::kInternal, "paint_gene_structure: sizes differ");
    constexpr std::int32_t kIntron = 1, kNoncodingExon = 2, kCds = 3;
    auto paint = [&](std::int64_t beg, std::int64_t end, std::int32_t y) {
        for (std::int64_t p = std::max(beg, region.beg); p < std::min(end, region.end); ++p) {
            std::int32_t& l = labels[static_cast<size_t>(p - region.beg)];
            l = std::max(l, y);
        }
    };
    for (size_t i = 0; i < genes.size(); ++i) {
        const Region& g = genes[i];
        if (g.contig != region.contig || g.end <= region.beg || g.beg >= region.end ||
            models[i].exons.empty())
            continue;
        // Introns lie between exons: a gene line reaching past its transcripts' exons (a
        // transcript left out of the file) does not make that stretch intronic.
        paint(models[i].exons.front().first, models[i].exons.back().second, kIntron);
        for (const FeaturePiece& piece : feature_pieces(g, &models[i]))
            paint(piece.beg, piece.end, piece.thick ? kCds : kNoncodingExon);
    }
}

}  // namespace dnassm
