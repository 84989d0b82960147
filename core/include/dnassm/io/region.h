// Genomic intervals. Inside dnassm every interval is 0-based half-open [beg, end); users write
// samtools strings (1-based inclusive, parsed by HTSlib's hts_parse_region) or BED (0-based).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dnassm {

struct Contig {
    std::string name;
    std::int64_t length = 0;
};

struct Region {
    std::string contig;
    std::int64_t beg = 0, end = 0;  // 0-based half-open
    int tid = -1;                   // index into the contig list it was resolved against
    std::string name;               // BED column 4, when present
    char strand = '.';              // BED column 6 when it is '+' or '-'

    /// samtools' region "*": the reads of a SAM/BAM/CRAM that have no position (RNAME '*'), which
    /// an index query reaches at the file's end. The tid is HTSlib's HTS_IDX_NOCOOR.
    static constexpr int kUnplacedTid = -2;
    [[nodiscard]] bool unplaced() const { return tid == kUnplacedTid; }

    [[nodiscard]] std::int64_t length() const { return end - beg; }
    /// samtools form, 1-based inclusive: "chr:beg+1-end"; "*" for the unplaced reads.
    [[nodiscard]] std::string label() const;
};

/// How a genome browser draws a feature: its exons as boxes joined by a line (the introns), the
/// coding part of them (thick) taller than the rest (UTRs, a non-coding RNA's exons).
struct GeneModel {
    /// 0-based half-open, sorted and disjoint, within the feature. Empty: one box over it all.
    std::vector<std::pair<std::int64_t, std::int64_t>> exons;
    /// The coding part; thick_beg == thick_end: none, all of it thin.
    std::int64_t thick_beg = 0, thick_end = 0;
};

/// A box of a feature as drawn: an exon, or the part of one inside (thick) or outside (thin) the
/// coding part. Between boxes lie introns, drawn as a line.
struct FeaturePiece {
    std::int64_t beg = 0, end = 0;
    bool thick = true;
    bool operator==(const FeaturePiece&) const = default;
};

/// The boxes of `f` in position order: its exons (without a model, or a model without exons,
/// the whole feature), each split where the coding part begins and ends.
[[nodiscard]] std::vector<FeaturePiece> feature_pieces(const Region& f, const GeneModel* model);

/// Parses samtools region strings ("chr", "chr:beg", "chr:beg-end", "{odd:name}:beg-end",
/// thousands separators allowed) against `contigs`. An unknown contig, reversed or empty range,
/// or coordinates past the contig end are Error(kInput) naming the region. Regions of reads
/// (a SAM/BAM/CRAM input) may also be samtools' "*", the unplaced reads.
enum class RegionsOf { kReference, kReads };
[[nodiscard]] std::vector<Region> parse_regions(const std::vector<std::string>& specs,
                                                const std::vector<Contig>& contigs,
                                                RegionsOf of = RegionsOf::kReference);

/// Reads BED (plain or bgzip; '#', "track" and "browser" lines skipped; columns 1-3 required,
/// column 4 kept as the name, column 6 as the strand when it is '+' or '-'). Bad lines are
/// Error(kInput) naming file and line number. With `models`, each line's GeneModel too, one per
/// region: thickStart/thickEnd (columns 7-8; absent: all thick) and a BED12's blocks as exons
/// (columns 10-12; absent: none), checked as UCSC's bedToBigBed checks them. With `aliases`, a
/// contig `contigs` lacks but has under another naming convention (contig_alias: chr1 and 1, chrM
/// and MT) is renamed to it, as a genome browser maps them, and the renames are added to
/// `aliases` (the file's name -> the list's).
[[nodiscard]] std::vector<Region> read_bed(const std::string& path,
                                           const std::vector<Contig>& contigs,
                                           std::vector<GeneModel>* models = nullptr,
                                           std::map<std::string, std::string>* aliases = nullptr);

/// True for the lines BED and bedGraph readers skip: empty, a '#' comment, or a UCSC header line
/// ("track" or "browser", alone or followed by whitespace; a contig named "track1" is data).
[[nodiscard]] bool is_bed_header_line(std::string_view line);

/// A 0-based coordinate from a file's field: a non-negative integer, else Error(kInput) naming
/// `where` and `what` ("start", "end").
[[nodiscard]] std::int64_t parse_coordinate(std::string_view text,
                                            const std::string& where,
                                            const char* what);

/// Sets r.tid to r.contig's index in `contigs` and checks the interval, as read_bed does for each
/// line: an unknown contig (with a hint at a naming convention) or an empty, reversed or
/// out-of-range interval is Error(kInput) naming `where`.
void resolve_region(Region& r, const std::vector<Contig>& contigs, const std::string& where);

/// One region per contig, whole length.
[[nodiscard]] std::vector<Region> whole_contigs(const std::vector<Contig>& contigs);

/// Sorts by (contig order, beg) and merges overlapping or touching intervals (for tracks).
[[nodiscard]] std::vector<Region> sort_and_merge(std::vector<Region> regions);

/// Which intervals overlap a set of regions (e.g. VCF records against -r/-R), by contig name.
class RegionIndex {
  public:
    explicit RegionIndex(const std::vector<Region>& regions);
    /// Whether [beg, end) on `contig` shares a base with a region; an empty interval (end ==
    /// beg) asks about the base at beg.
    [[nodiscard]] bool overlaps(const std::string& contig,
                                std::int64_t beg,
                                std::int64_t end) const;

  private:
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> spans_;  // merged
};

}  // namespace dnassm
