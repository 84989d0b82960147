// Pooled-vector writers: an [N, cols] NPY matrix streamed with its row count patched in at the
// end, HDF5 datasets through ArrayWriter, and TSV rows.
#include <cstdio>
#include <fstream>
#include <limits>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/npy.h"
#include "dnassm/io/writers.h"

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

class Hdf5Vectors final : public VectorWriter {
  public:
    Hdf5Vectors(const std::string& path, std::int64_t cols, bool half)
        : arrays_(ArrayWriter::create(path, half)), cols_(cols) {}
    void add(const std::string& name, const Region& region, const float* values) override {
        arrays_->begin(name, region, 0, cols_);
        arrays_->write_rows(values, 1);
        arrays_->end();
    }
    void commit() override { arrays_->commit(); }
    void describe(const FileAttributes& attributes) override { arrays_->describe(attributes); }

  private:
    std::unique_ptr<ArrayWriter> arrays_;
    std::int64_t cols_;
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
