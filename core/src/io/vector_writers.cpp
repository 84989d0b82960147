// Pooled-vector writers: an [N, cols] NPY matrix streamed with its row count patched in at the
// end, the same matrix in HDF5 with a column per row attribute, and TSV rows.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/npy.h"
#include "dnassm/io/writers.h"

#include "hdf5_output.h"

namespace dnassm {

namespace {

class NpyVectors final : public VectorWriter {
  public:
    NpyVectors(const std::string& path, std::int64_t cols, bool half)
        : file_(path), out_(file_.stream(std::ios::binary)), cols_(cols), half_(half) {
        // Room for any row count, so the final header overwrites this one byte for byte.
        size_ = npy_preamble(descr(), {std::numeric_limits<std::int64_t>::max(), cols_}).size();
        write_preamble(0);
    }
    void add(const std::string&, const Region&, const float* values) override {
        write_npy_values(out_, values, cols_, half_);
        ++rows_;
    }
    void commit() override {
        DNASSM_CHECK(rows_ > 0, ErrorKind::kInput,
                     file_.path() + ": nothing to write (no input records)");
        out_.seekp(0);
        write_preamble(rows_);
        file_.commit();
    }

  private:
    [[nodiscard]] const char* descr() const { return half_ ? "<f2" : "<f4"; }
    void write_preamble(std::int64_t rows) {
        const std::string p = npy_preamble(descr(), {rows, cols_}, size_);
        DNASSM_ASSERT(p.size() == size_);
        out_.write(p.data(), static_cast<std::streamsize>(p.size()));
    }

    AtomicFile file_;
    std::ostream& out_;
    std::int64_t cols_, rows_ = 0;
    bool half_;
    std::size_t size_ = 0;
};

// One [N, cols] dataset "embeddings", its rows appended a block at a time, and beside it one
// column per row attribute (id, chrom, start, end; strand when a region has one), written at
// commit: h5py or pandas read the whole table in one call each, and a million reads' vectors
// stay one dataset rather than a million.
class Hdf5Vectors final : public VectorWriter {
  public:
    Hdf5Vectors(const std::string& path, std::int64_t cols, bool half)
        : out_(path, half),
          cols_(cols),
          block_rows_(std::max<std::int64_t>(1, kChunkBytes / (cols * 4))) {
        const hsize_t dims[2] = {0, static_cast<hsize_t>(cols)},
                      max_dims[2] = {H5S_UNLIMITED, static_cast<hsize_t>(cols)},
                      chunk[2] = {static_cast<hsize_t>(block_rows_), static_cast<hsize_t>(cols)};
        const hid_t space = H5Screate_simple(2, dims, max_dims);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 2, chunk);
        ds_ = H5Dcreate2(out_.file(), "embeddings", out_.value_type(), space, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
        H5Pclose(dcpl);
        H5Sclose(space);
        DNASSM_CHECK(ds_ >= 0, ErrorKind::kResource,
                     out_.path() + ": cannot create dataset 'embeddings'");
    }
    ~Hdf5Vectors() override {
        if (ds_ >= 0) H5Dclose(ds_);
    }
    void add(const std::string& name, const Region& region, const float* values) override {
        id_.push_back(region.name.empty() ? name : region.name);
        const bool placed = !region.contig.empty();
        chrom_.push_back(region.contig);
        start_.push_back(placed ? region.beg : -1);
        end_.push_back(placed ? region.end : -1);
        strand_.emplace_back(1, region.strand);
        stranded_ = stranded_ || region.strand != '.';
        block_.insert(block_.end(), values, values + cols_);
        if (static_cast<std::int64_t>(block_.size()) == block_rows_ * cols_) flush();
    }
    void commit() override {
        DNASSM_CHECK(!id_.empty(), ErrorKind::kInput,
                     out_.path() + ": nothing to write (no input records)");
        flush();
        H5Dclose(ds_);
        ds_ = -1;
        out_.write_column("id", id_);
        out_.write_column("chrom", chrom_);
        out_.write_column("start", start_);
        out_.write_column("end", end_);
        if (stranded_) out_.write_column("strand", strand_);
        out_.commit();
    }
    void describe(const FileAttributes& attributes) override {
        for (const auto& [key, value] : attributes)
            out_.write_attr(out_.file(), key.c_str(), value);
    }

  private:
    static constexpr std::int64_t kChunkBytes = 256 * 1024;

    // Appends the buffered rows to "embeddings".
    void flush() {
        const auto n = static_cast<std::int64_t>(block_.size()) / cols_;
        if (n == 0) return;
        const hsize_t start[2] = {static_cast<hsize_t>(written_), 0},
                      count[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(cols_)},
                      dims[2] = {static_cast<hsize_t>(written_ + n), static_cast<hsize_t>(cols_)};
        DNASSM_CHECK(H5Dset_extent(ds_, dims) >= 0, ErrorKind::kResource,
                     out_.path() + ": HDF5 write failed (disk full?)");
        const hid_t space = H5Dget_space(ds_), mem = H5Screate_simple(2, count, nullptr);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
        try {
            out_.write_values(ds_, mem, space, block_.data(), n * cols_);
        } catch (...) {
            H5Sclose(mem);
            H5Sclose(space);
            throw;
        }
        H5Sclose(mem);
        H5Sclose(space);
        written_ += n;
        block_.clear();
    }

    Hdf5Output out_;
    std::int64_t cols_, block_rows_, written_ = 0;
    hid_t ds_ = -1;
    std::vector<float> block_;
    std::vector<std::string> id_, chrom_, strand_;
    std::vector<std::int64_t> start_, end_;
    bool stranded_ = false;
};

class TsvVectors final : public VectorWriter {
  public:
    TsvVectors(const std::string& path, std::int64_t cols)
        : file_(path, true), out_(file_.stream()) {
        out_ << "id\tchrom\tstart\tend";
        for (std::int64_t c = 0; c < cols; ++c) out_ << "\te" << c;
        out_ << '\n';
        cols_ = cols;
    }
    void add(const std::string& name, const Region& region, const float* values) override {
        out_ << (region.name.empty() ? name : region.name) << '\t';
        if (!region.contig.empty())
            out_ << region.contig << '\t' << region.beg << '\t' << region.end;
        else
            out_ << "\t\t";
        char buf[32];
        for (std::int64_t c = 0; c < cols_; ++c) {
            std::snprintf(buf, sizeof buf, "\t%.9g", static_cast<double>(values[c]));
            out_ << buf;
        }
        out_ << '\n';
        ++rows_;
    }
    void commit() override {
        DNASSM_CHECK(rows_ > 0, ErrorKind::kInput,
                     file_.path() + ": nothing to write (no input records)");
        file_.commit();
    }

  private:
    AtomicFile file_;
    std::ostream& out_;
    std::int64_t cols_ = 0, rows_ = 0;
};

}  // namespace

std::unique_ptr<VectorWriter> VectorWriter::create(const std::string& path,
                                                   std::int64_t cols,
                                                   bool half,
                                                   const std::string& type) {
    const std::string ext = type.empty() ? text_extension(path) : type;
    if (ext == ".tsv") {
        DNASSM_CHECK(!half, ErrorKind::kUsage,
                     path + ": --dtype f16 applies to .npy/.h5 output, not text");
        return std::make_unique<TsvVectors>(path, cols);
    }
    DNASSM_CHECK(!gz_name(path), ErrorKind::kUsage,
                 path + ": a .gz name compresses text output (.tsv.gz); " + ext + " is not text");
    if (ext == ".npy") return std::make_unique<NpyVectors>(path, cols, half);
    if (ext == ".h5" || ext == ".hdf5") return std::make_unique<Hdf5Vectors>(path, cols, half);
    throw Error(ErrorKind::kUsage, path + ": unknown output type '" + ext +
                                       "' for pooled vectors (use .npy, .h5 or .tsv)");
}

}  // namespace dnassm
