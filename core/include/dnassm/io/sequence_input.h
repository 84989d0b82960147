// Sequence input through HTSlib: FASTA (plain, gzip or BGZF; faidx random access), FASTQ, and
// SAM/BAM/CRAM reads. "-" reads standard input (FASTA/FASTQ/SAM/BAM). Tables of sequences (a
// `sequence[,label]` CSV, a GenomicBenchmarks folder) are read as records too, one per row.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dnassm/io/fasta_index_check.h"
#include "dnassm/io/region.h"

namespace dnassm {

enum class InputFormat { kFasta, kFastq, kAlignments, kTable };

/// Filters for SAM/BAM/CRAM reads (samtools view -q/-f/-F semantics).
struct ReadFilter {
    int min_mapq = 0;
    std::uint16_t require_flags = 0;
    std::uint16_t exclude_flags = 0x900;  // secondary and supplementary
};

struct InputOptions {
    ReadFilter filter;
    std::string reference;  // FASTA for CRAM decoding, or a GenomicBenchmarks folder's interval
                            // lists (optional)
    bool stranded = false;  // FASTA: a '-' strand region is read as its reverse complement
};

/// One sequence to run a model on: a reference interval, one read, or one row of a table.
struct SequenceRecord {
    std::string name;   // region label ("chr:beg-end"), contig name, read name, or row id
    std::string seq;    // bases as stored in the file
    Region region;      // reference interval (FASTA; a folder's interval list); for reads the
                        // alignment span; tid -1 and contig empty where there is none (FASTQ,
                        // unplaced reads, CSV rows); strand '-' when the bases are its reverse
                        // complement (--stranded)
    std::string label;  // a table's label for the row; empty otherwise
};

class SequenceInput {
  public:
    virtual ~SequenceInput() = default;
    /// Opens and sniffs the format: a folder, or a name ending in .csv or .csv.gz, is a table
    /// (train/label_tables.h, train/class_folders.h). Missing/unreadable/unrecognised files are
    /// Error naming them.
    static std::unique_ptr<SequenceInput> open(const std::string& path,
                                               const InputOptions& opts = {});

    [[nodiscard]] virtual InputFormat format() const = 0;
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Reference contigs (FASTA records, or the SAM header's @SQ lines); for FASTQ and tables,
    /// the records themselves (names and lengths), listed when the input opens.
    [[nodiscard]] virtual const std::vector<Contig>& contigs() const = 0;
    /// Calls fn for every record: for FASTA each region's sequence (whole contigs when `regions`
    /// is empty); for reads every read passing the filter that overlaps a region (all reads when
    /// empty; a table takes none). Throws Error(kInput) when regions are given for an input that
    /// cannot seek.
    virtual void for_each(const std::vector<Region>& regions,
                          const std::function<void(SequenceRecord&)>& fn) = 0;
    /// FASTA records and FASTQ reads with no bases, which neither contigs() nor for_each lists.
    [[nodiscard]] const EmptyRecords& empty_records() const { return empty_; }
    /// Why this input cannot be a reference, whose contigs regions, tracks and VCFs name; empty
    /// when it can. A FASTA whose records share a name (reads, as `samtools fasta -n` writes
    /// mates) is read record by record, as a FASTQ is, and says so here.
    [[nodiscard]] virtual std::string reference_problem() const { return {}; }
    /// Why a FASTA file was read whole into memory rather than through a .fai index (gzip, not
    /// bgzip; or no index and none can be written beside it); empty when it is indexed, or not
    /// a FASTA file.
    [[nodiscard]] const std::string& unindexed_reason() const { return unindexed_; }

  protected:
    std::string path_;
    EmptyRecords empty_;
    std::string unindexed_;
};

/// Error(kUsage) naming the input, its problem and `why` (what needs a reference, and what to do
/// instead) when `in` cannot be a reference (SequenceInput::reference_problem).
void require_reference(const SequenceInput& in, const std::string& what);

}  // namespace dnassm
