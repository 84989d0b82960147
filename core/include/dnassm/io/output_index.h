// Indexes of finished outputs, as samtools/bcftools --write-index make them, so IGV, tabix and
// bcftools can jump to a region: <out>.tbi for BGZF BED/bedGraph (BED coordinates) and VCF,
// <out>.csi for BCF.
#pragma once

#include <string>

namespace dnassm {

/// Whether write_output_index can index a file of this name: .bed.gz, .bedgraph.gz, .bg.gz,
/// .vcf.gz or .bcf.
[[nodiscard]] bool indexable_output(const std::string& path);

/// Builds the index of a committed output sorted by position within contiguous contigs, and
/// renames it into place beside it. Error(kUsage) for a name indexable_output refuses,
/// Error(kResource) naming the file when it cannot be indexed.
void write_output_index(const std::string& path);

}  // namespace dnassm
