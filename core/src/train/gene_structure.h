// Internal (training): per-base gene-structure classes from gene models, what
// `finetune --task segment --train ANNOTATION.gff3` trains on (a gene finder's labels).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

/// The classes, by index; a base takes the highest any gene gives it (a coding base of one gene
/// in another's intron is coding). intron: between a gene's first and last exon, outside them.
/// noncoding_exon: UTRs and the exons of non-coding RNA genes.
inline constexpr std::array<std::string_view, 4> kGeneStructureClasses = {"intergenic", "intron",
                                                                          "noncoding_exon", "cds"};

/// labels[i] for base region.beg + i (labels.size() == region.length()), from `genes` (any
/// contig; those off region.contig are passed over) and their models. A feature without exon or
/// CDS parts (a bare gene line, a repeat, a mobile element) says nothing of structure and is
/// passed over too.
void paint_gene_structure(const std::vector<Region>& genes,
                          const std::vector<GeneModel>& models,
                          const Region& region,
                          std::vector<std::int32_t>& labels);

}  // namespace dnassm
