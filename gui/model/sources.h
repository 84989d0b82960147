// The data the explorer opens, read through HTSlib (FASTA with faidx, BAM/CRAM coverage, BED)
// and libdnassm (bigWig/bedGraph tracks), for one visible range at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dnassm/io/contig_hint.h"
#include "dnassm/io/fasta_index_check.h"
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
    /// Records with no bases (a header without sequence lines), which faidx leaves out.
    [[nodiscard]] const EmptyRecords& empty_records() const { return empty_; }

  private:
    std::string path_;
    ::faidx_t* fai_ = nullptr;
    std::vector<Contig> contigs_;
    EmptyRecords empty_;
};

/// The most bases "Copy sequence" puts on the clipboard.
inline constexpr std::int64_t kMaxCopyBases = 1'000'000;

/// Loci as FASTA records for the clipboard (JBrowse's "Get sequence"): each named by its samtools
/// region, lines of 60 bases; with `reverse_complement`, the reverse strand, its name saying so.
/// More than kMaxCopyBases together is Error(kUsage).
[[nodiscard]] std::string fasta_of(const FastaSource& fasta,
                                   const std::vector<Locus>& loci,
                                   bool reverse_complement);

/// Per-base read depth over a locus from an indexed BAM/CRAM, counting aligned bases (M, =, X)
/// of reads that are mapped and not secondary, QC-failed, duplicate or supplementary (samtools
/// depth's default filter). `reference` is needed for CRAM.
[[nodiscard]] std::vector<float> bam_coverage(const std::string& path,
                                              const Locus& l,
                                              const std::string& reference = {});

/// A bigWig or bedGraph track; values() gives one locus per base (NaN = none). A bigWig is queried
/// through its index for each view, so a genome-wide file opens at once and is never read whole;
/// a bedGraph is read once. The last view's values are kept: repaints of the same view (a
/// selection being dragged) read nothing again. A locus on a contig the track names under
/// another convention (its chr1 for the genome's 1) reads that contig, as IGV maps them.
class SignalSource {
  public:
    explicit SignalSource(const std::string& path)
        : path_(path), track_(path), aliases_(track_.contigs()) {}
    [[nodiscard]] const std::string& path() const { return path_; }
    /// What produced the track: a bedGraph's "# key: value" lines (dnassm predict's), if any.
    [[nodiscard]] const FileAttributes& description() const { return track_.description(); }
    [[nodiscard]] std::vector<float> values(const Locus& l) const;
    /// `pixels` summaries of a wide locus (TrackFile::summary: a bigWig's zoom levels), so a
    /// zoomed-out view reads what it draws rather than every base.
    [[nodiscard]] std::vector<TrackBin> bins(const Locus& l, int pixels) const {
        return track_.summary(track_contig(l.contig), l.beg, l.end, pixels);
    }

  private:
    /// `contig` as the track names it: itself, or the one alias it has there.
    [[nodiscard]] std::string track_contig(const std::string& contig) const;

    std::string path_;
    dnassm::TrackFile track_;
    mutable std::mutex alias_mutex_;
    mutable ContigAliases aliases_;  // over the track's contigs
    mutable std::mutex last_mutex_;
    mutable std::optional<Locus> last_locus_;
    mutable std::vector<float> last_values_;
};

/// Features to draw, checked against the genome's contigs: a BED's lines (name = column 4), a
/// GFF3/GTF annotation's genes (named by them), or a VCF/BCF's records (read_vcf_variants). Genes
/// on contigs the genome lacks (a genome-wide annotation over one chromosome) are left out and
/// counted in `left_out`. `models` gets each feature's exons and coding part (BED12 blocks and
/// thick columns; a gene's exons and CDSs). Contigs named under another convention than the
/// genome's (chr1 and 1, chrM and MT) are renamed to its, as IGV maps them; `aliases` gets the
/// renames.
[[nodiscard]] std::vector<Region> read_features(
    const std::string& path,
    const std::vector<Contig>& contigs,
    size_t* left_out = nullptr,
    std::vector<GeneModel>* models = nullptr,
    std::map<std::string, std::string>* aliases = nullptr);

}  // namespace dnassm::gui
