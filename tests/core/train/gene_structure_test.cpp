// Per-base gene-structure classes (finetune --task segment on a GFF3/GTF) painted from gene
// models: each base the highest class any gene gives it, clipped to the region.
#include "train/gene_structure.h"

#include <string>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

Region gene(const char* contig, std::int64_t beg, std::int64_t end) {
    Region r;
    r.contig = contig;
    r.beg = beg;
    r.end = end;
    return r;
}

// One character a base: . intergenic, i intron, u non-coding exon, C coding.
std::string painted(const std::vector<Region>& genes,
                    const std::vector<GeneModel>& models,
                    const Region& region) {
    std::vector<std::int32_t> labels(static_cast<size_t>(region.length()), 0);
    paint_gene_structure(genes, models, region, labels);
    std::string s;
    for (const std::int32_t y : labels) s += ".iuC"[y];
    return s;
}

TEST(GeneStructure, BasesTakeTheHighestClassOfAnyGene) {
    // A coding gene: exons [2,6) and [9,13), coding [4,11); a gene line alone [15,18) (no
    // structure: passed over); a non-coding gene [20,24) with an exon [20,22); a coding gene
    // inside the first's intron; one on another contig. The non-coding gene's line reaches past
    // its exon: those bases are intergenic, not intron.
    const std::vector<Region> genes = {gene("c", 2, 13), gene("c", 15, 18), gene("c", 20, 24),
                                       gene("c", 7, 8), gene("d", 0, 30)};
    const std::vector<GeneModel> models = {{{{2, 6}, {9, 13}}, 4, 11},
                                           {{}, 15, 18},
                                           {{{20, 22}}, 20, 20},
                                           {{{7, 8}}, 7, 8},
                                           {{{0, 30}}, 0, 30}};
    EXPECT_EQ(painted(genes, models, gene("c", 0, 26)), "..uuCCiCiCCuu.......uu....");
    EXPECT_EQ(painted(genes, models, gene("c", 5, 10)), "CiCiC");  // clipped to the region
    EXPECT_EQ(painted(genes, models, gene("e", 0, 4)), "....");
}

}  // namespace
}  // namespace dnassm
