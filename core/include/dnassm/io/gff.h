// Gene annotations in GFF3 (NCBI, Ensembl) and GTF (GENCODE, Ensembl, UCSC) read as one feature
// per gene: what a genome browser's collapsed annotation track shows, and what `-R` takes as
// regions (one per gene, named by it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

struct GffFeature {
    /// Contig, the 0-based half-open span of the gene and all its parts, its name and strand;
    /// tid is -1 (resolve_region checks it against an input's contigs).
    Region region;
    std::string type;       // the gene's own line's type ("gene", "pseudogene", "ncRNA_gene", ...)
    std::int64_t line = 0;  // the first line that gave it, for messages
    /// Its exons (every transcript's, merged where they overlap: a browser's collapsed row) and
    /// coding part (CDS, start and stop codons): see Group::model in gff_reader.cpp for a gene
    /// without exon or CDS lines (one thick box) and one without a CDS (all thin).
    GeneModel model;
};

/// Whether the file at `path` reads as GFF3 or GTF: named .gff, .gff3 or .gtf (plain or .gz), or
/// by its content: a "##gff-version" line, or a first data line of 8 or 9 tab-separated columns
/// whose 4th and 5th are integers and 2nd is not (a BED line's 2nd is). False for "-" (standard
/// input cannot be read twice) and for a file it cannot read.
[[nodiscard]] bool looks_like_gff(const std::string& path);

/// The genes (top-level features) of a GFF3 or GTF file, plain, gzip or BGZF, in the order of
/// their first lines. A GFF3 feature with a Parent is a part of its top-level ancestor (a gene's
/// mRNAs, their exons and CDSs), which then spans them all; features whose Parent the file lacks
/// are grouped by it. A GTF's lines are grouped by gene_id. Whole-sequence features (region,
/// chromosome, contig, scaffold, source, ...) are left out. Names: GFF3 Name, gene, locus_tag or
/// ID (percent escapes decoded); GTF gene_name or gene_id. Reading stops at "##FASTA".
/// Malformed lines (columns, coordinates 1-based inclusive with start <= end, strand, a GTF line
/// without gene_id) and a file of no features are Error(kInput) naming the file and line.
[[nodiscard]] std::vector<GffFeature> read_gff_features(const std::string& path);

/// read_gff_features' genes as regions resolved against `contigs` (resolve_region, naming the
/// line). Genes on contigs that `contigs` lacks are an error, or with `leave_out_unknown`
/// (an explorer opening a genome-wide annotation over one chromosome) left out and counted in
/// `left_out`, unless all are: then the first one's error. With `models`, each region's gene
/// model too. With `aliases`, contigs named under another convention are renamed, as read_bed
/// renames them.
[[nodiscard]] std::vector<Region> read_gff_regions(
    const std::string& path,
    const std::vector<Contig>& contigs,
    bool leave_out_unknown = false,
    size_t* left_out = nullptr,
    std::vector<GeneModel>* models = nullptr,
    std::map<std::string, std::string>* aliases = nullptr);

/// The regions of a file given as `-R`: a GFF3 or GTF's genes (looks_like_gff) or a BED's lines
/// (read_bed).
[[nodiscard]] std::vector<Region> read_region_file(const std::string& path,
                                                   const std::vector<Contig>& contigs);

}  // namespace dnassm
