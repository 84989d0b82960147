// The data the explorer opens, read through HTSlib (FASTA with faidx, BAM/CRAM coverage, BED)
// and libdnassm (bigWig/bedGraph tracks), for one visible range at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dnassm/io/region.h"
#include "dnassm/io/writers.h"

#include "locus.h"

struct faidx_t;  // HTSlib

namespace dnassm::gui {

/// An indexed FASTA (plain or BGZF; the .fai is built when missing and the file allows it).
class FastaSource {
  public:
    explicit FastaSource(const std::string& path);
    ~FastaSource();
    FastaSource(const FastaSource&) = delete;
    FastaSource& operator=(const FastaSource&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const std::vector<Contig>& contigs() const { return contigs_; }
    [[nodiscard]] std::int64_t length(const std::string& contig) const;
    /// Bases [beg, end) of a contig as stored (case kept).
    [[nodiscard]] std::string fetch(const Locus& l) const;

  private:
    std::string path_;
    ::faidx_t* fai_ = nullptr;
    std::vector<Contig> contigs_;
};

/// Per-base read depth over a locus from an indexed BAM/CRAM, counting aligned bases (M, =, X)
/// of reads that are mapped and not secondary, QC-failed, duplicate or supplementary (samtools
/// depth's default filter). `reference` is needed for CRAM.
[[nodiscard]] std::vector<float> bam_coverage(const std::string& path,
                                              const Locus& l,
                                              const std::string& reference = {});

/// A bigWig/bedGraph read once; values() expands one locus to per-base values (NaN = none).
class SignalSource {
  public:
    explicit SignalSource(const std::string& path);
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::vector<float> values(const Locus& l) const;

  private:
    std::string path_;
    Track track_;  // intervals sorted by (contig, beg); the file's order kept among equal keys
    // reach_[i]: the largest end among the intervals of i's contig up to i, so a view finds its
    // first interval by binary search even where intervals overlap.
    std::vector<std::int64_t> reach_;
};

/// BED features (name = column 4) checked against the genome's contigs.
[[nodiscard]] std::vector<Region> read_features(const std::string& path,
                                                const std::vector<Contig>& contigs);

}  // namespace dnassm::gui
