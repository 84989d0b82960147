// A VCF/BCF drawn as a feature track, as IGV draws variants: a record is a box over its REF
// bases, named by its ID and alleles and, for the output of `dnassm score -o x.vcf.gz`, by its
// scores (dnassm/io/score_fields.h: DNASSM_LLR, DNASSM_EMB_L2, DNASSM_EMB_COS), which the tooltip
// then shows.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm::gui {

/// The records of the VCF/BCF at `path` on the genome's `contigs`, in file order: 0-based [POS-1,
/// POS-1+rlen), named "ID REF>ALT[,ALT]" (no ID when it is '.') and " llr=X" (etc.) where the
/// record carries dnassm's scores. Records on contigs the genome lacks are left out and counted in
/// `left_out`; contigs named under another convention (chr1 and 1) are renamed to the genome's,
/// the renames in `aliases`. A malformed record, or one reaching past its contig's end (a VCF of
/// another assembly), is Error(kInput) naming the file and record.
[[nodiscard]] std::vector<Region> read_vcf_variants(
    const std::string& path,
    const std::vector<Contig>& contigs,
    size_t* left_out = nullptr,
    std::map<std::string, std::string>* aliases = nullptr);

}  // namespace dnassm::gui
