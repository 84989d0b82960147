// Output writers. Every writer writes to a temp file and renames it onto the target only in
// commit(); destroying a writer without commit() leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

/// What produced a file (tool version, command line, model, options), as key/value text.
using FileAttributes = std::vector<std::pair<std::string, std::string>>;

/// Per-region 2-D float32 arrays {rows, cols}, written a block of rows at a time.
class ArrayWriter {
  public:
    virtual ~ArrayWriter() = default;
    /// Starts one array. `region` supplies the chrom/start/end attributes (HDF5) when contig is
    /// set. rows may be 0 for a 1-D vector of `cols` values. An HDF5 dataset is named `name`,
    /// with '/' replaced by '|' and "#2", "#3"... added to a repeat; its "name" attribute is
    /// region.name, or `name` where the dataset's differs; its "index" attribute is its place in
    /// the input (0, 1, ...), which readers listing datasets by name (h5py) do not keep.
    virtual void begin(const std::string& name,
                       const Region& region,
                       std::int64_t rows,
                       std::int64_t cols) = 0;
    virtual void write_rows(const float* data, std::int64_t n_rows) = 0;
    virtual void end() = 0;
    virtual void commit() = 0;
    /// File-level attributes: HDF5 root attributes; NPY has no place for them.
    virtual void describe(const FileAttributes& attributes) { (void)attributes; }

    /// ".npy" (exactly one array) or ".h5"/".hdf5" (any number, one dataset each); values are
    /// stored as float32, or as IEEE float16 when `half` is set (rounded to nearest even).
    /// `type` is that extension, when the path's own does not say it.
    static std::unique_ptr<ArrayWriter> create(const std::string& path,
                                               bool half = false,
                                               const std::string& type = {});
};

/// Pooled vectors of `cols` values, one per region/record in input order.
class VectorWriter {
  public:
    virtual ~VectorWriter() = default;
    /// `name` is the record's label (region "chr:beg-end", contig or read name); region.name, when
    /// set, is the id a row carries instead.
    virtual void add(const std::string& name, const Region& region, const float* values) = 0;
    virtual void commit() = 0;
    /// File-level attributes: HDF5 root attributes; NPY and TSV have no place for them.
    virtual void describe(const FileAttributes& attributes) { (void)attributes; }

    /// ".npy" (one [N, cols] matrix, float32 or float16), ".h5"/".hdf5" (that matrix as dataset
    /// "embeddings", with [N] datasets "id", "chrom", "start", "end", and "strand" when a region
    /// has one; chrom "" and start/end -1 where the record has no reference interval) or ".tsv"
    /// (a header line, then id, chrom, start, end and the values per row; chrom/start/end empty
    /// where the record has no reference interval; float32 text only). `type` is that extension,
    /// when the path's own does not say it.
    static std::unique_ptr<VectorWriter> create(const std::string& path,
                                                std::int64_t cols,
                                                bool half = false,
                                                const std::string& type = {});
};

/// Per-base tracks: runs of consecutive bases (or of equal bins of bases) with one value each.
class TrackWriter {
  public:
    virtual ~TrackWriter() = default;
    /// values[i] covers bases [start + i·span, start + (i+1)·span) (0-based) of `contig`; runs
    /// must come in the contig order given at creation and increasing position. A bigWig stores a
    /// run as one fixed-step block of that span.
    virtual void add_spans(const std::string& contig,
                           std::int64_t start,
                           std::int64_t span,
                           const float* values,
                           std::int64_t n) = 0;
    /// One value per base: values[i] belongs to base start + i.
    void add_run(const std::string& contig,
                 std::int64_t start,
                 const float* values,
                 std::int64_t n) {
        add_spans(contig, start, 1, values, n);
    }
    /// Writes the file. With no values added it is a valid empty track (a bigWig with its
    /// contigs and no data; a bedGraph with no lines): a region of N bases has none.
    virtual void commit() = 0;
    /// Whether no value has been added.
    [[nodiscard]] virtual bool empty() const = 0;
    /// What produced the file, given before any value: "# key: value" lines at the top of a
    /// bedGraph (and of BED calls), which bedGraph and BED readers skip as comments; a bigWig has
    /// no place for them.
    virtual void describe(const FileAttributes& attributes) { (void)attributes; }
    /// Whether describe() writes anything (so a caller can skip gathering what it would say).
    [[nodiscard]] virtual bool keeps_description() const { return false; }

    /// ".bw"/".bigwig" (libBigWig; header lists every contig) or ".bedgraph"/".bg" (BGZF when
    /// the name ends in ".gz"); `type` is that extension, when the path's own does not say it.
    static std::unique_ptr<TrackWriter> create(const std::string& path,
                                               const std::vector<Contig>& contigs,
                                               const std::string& type = {});
};

/// A per-base track read back (bigWig via libBigWig, or bedGraph, plain or gzip/BGZF; "-" is
/// bedGraph on standard input): the file's contigs (bigWig header order; bedGraph: order of
/// appearance, lengths = last covered base) and its intervals. A bedGraph line whose value is NaN
/// is no value (as a base a bigWig does not cover); other malformed lines are Error(kInput)
/// naming the file and line.
struct TrackInterval {
    std::int32_t contig = 0;  // index into contigs
    std::int64_t beg = 0, end = 0;
    float value = 0;
};
struct Track {
    std::vector<Contig> contigs;
    std::vector<TrackInterval> intervals;
    /// A bedGraph's "# key: value" lines above its first data line (TrackWriter::describe): what
    /// produced it. Empty for a bigWig.
    FileAttributes description;
};
[[nodiscard]] Track read_track(const std::string& path);
/// Track::description alone, read from the top of a bedGraph (not the whole file), or of BED
/// calls (CallWriter::describe); empty for a bigWig.
[[nodiscard]] FileAttributes read_track_description(const std::string& path);

/// The values of a track under one bin of a region (min, mean and max of the bases with a value),
/// e.g. one pixel of a zoomed-out view.
struct TrackBin {
    float min = 0, mean = 0, max = 0;
    bool valid = false;  // false: no base of the bin has a value
};

/// A track file read contig by contig, interval by interval, in position order, or region by
/// region: a bigWig through its index and libBigWig's block iterator (a few blocks in memory at a
/// time, so a genome-wide file is never read whole), a bedGraph read once (its intervals sorted per
/// contig, 12 bytes each: a chromosome's per-base track is a few GB). What `merge` and `call`
/// gather, `finetune --task track` trains on and the explorer draws.
class TrackFile {
  public:
    explicit TrackFile(const std::string& path);
    ~TrackFile();
    TrackFile(const TrackFile&) = delete;
    TrackFile& operator=(const TrackFile&) = delete;

    /// bigWig: its header's contigs; bedGraph: the contigs it has values on (lengths = last
    /// covered base). TrackInterval::contig indexes this list.
    [[nodiscard]] const std::vector<Contig>& contigs() const;
    /// What produced the file, as Track::description.
    [[nodiscard]] const FileAttributes& description() const;

    /// One contig's intervals, in position order.
    class Cursor {
      public:
        virtual ~Cursor() = default;
        /// The next interval; false after the last. A block that cannot be read is Error(kInput).
        virtual bool next(TrackInterval& iv) = 0;
    };
    [[nodiscard]] bool has_contig(const std::string& contig) const;
    /// True for a bedGraph, held in memory once read (it cannot be read again from "-"); false
    /// for a bigWig, which reads from the file as it is queried.
    [[nodiscard]] bool held_in_memory() const;
    /// The intervals of `contig` (one of contigs()) that overlap [beg, end) (end < 0: to the
    /// contig's end), unclipped (where a bedGraph's own lines overlap, a few that end before beg
    /// may come too); the cursor reads through this file, which must outlive it.
    [[nodiscard]] std::unique_ptr<Cursor> intervals(const std::string& contig,
                                                    std::int64_t beg = 0,
                                                    std::int64_t end = -1) const;

    /// One float per base of [beg, end) of `contig` (NaN where the track has none, and for a contig
    /// it does not cover); where a bedGraph's lines overlap, the one starting later wins.
    [[nodiscard]] std::vector<float> values(const std::string& contig,
                                            std::int64_t beg,
                                            std::int64_t end) const;

    /// [beg, end) of `contig` (invalid bins for a contig the track does not cover) in `bins` bins,
    /// bin i covering bases
    /// [beg + ⌊n·i/bins⌋, beg + ⌊n·(i+1)/bins⌋). A bigWig answers from its zoom levels (bwStats:
    /// the summaries it stores, so a whole chromosome costs about what a screen of bases does;
    /// approximate where a summary straddles two bins); a bedGraph from its intervals, exactly.
    [[nodiscard]] std::vector<TrackBin> summary(const std::string& contig,
                                                std::int64_t beg,
                                                std::int64_t end,
                                                int bins) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// IEEE 754 binary16 bits of x, round to nearest even (overflow to inf, NaN kept).
[[nodiscard]] std::uint16_t float_to_half(float x);

/// Lower-case extension of a path including the dot (".npy"); empty when none.
[[nodiscard]] std::string file_extension(const std::string& path);

/// A text output's type: file_extension of the name without a trailing ".gz" (".bed" for
/// "calls.bed.gz": BED, compressed with BGZF as it is written; see AtomicFile).
[[nodiscard]] std::string text_extension(const std::string& path);

/// Whether an extension (file_extension, text_extension) is a bigWig's: ".bw" or ".bigwig".
[[nodiscard]] bool is_bigwig_extension(const std::string& ext);

/// Whether the name ends in ".gz" (any case).
[[nodiscard]] bool gz_name(const std::string& path);

}  // namespace dnassm
