// NPY (streamed rows, one array) and HDF5 (one dataset per region) array writers.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include <hdf5.h>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/npy.h"
#include "dnassm/io/writers.h"

#include "hdf5_output.h"

namespace dnassm {

std::string file_extension(const std::string& path) {
    const auto slash = path.find_last_of('/');
    const auto dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return ext;
}

bool gz_name(const std::string& path) { return file_extension(path) == ".gz"; }

std::string text_extension(const std::string& path) {
    return file_extension(gz_name(path) ? path.substr(0, path.size() - 3) : path);
}

bool is_bigwig_extension(const std::string& ext) { return ext == ".bw" || ext == ".bigwig"; }

std::uint16_t float_to_half(float x) {
    std::uint32_t f;
    std::memcpy(&f, &x, 4);
    const std::uint32_t sign = (f >> 16) & 0x8000u;
    const std::uint32_t absf = f & 0x7fffffffu;
    if (absf >= 0x7f800000u)  // inf or NaN
        return static_cast<std::uint16_t>(sign | 0x7c00u | (absf > 0x7f800000u ? 0x200u : 0u));
    if (absf >= 0x477ff000u)
        return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
    if (absf < 0x38800000u) {                               // half subnormal or zero
        const std::uint32_t shift = 113 - (absf >> 23);
        if (shift > 24) return static_cast<std::uint16_t>(sign);
        const std::uint32_t mant = (absf & 0x7fffffu) | 0x800000u;
        std::uint32_t h = mant >> (shift + 13);
        const std::uint32_t rem = mant & ((1u << (shift + 13)) - 1), halfway = 1u << (shift + 12);
        if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
        return static_cast<std::uint16_t>(sign | h);
    }
    std::uint32_t h = (absf >> 13) - (112u << 10);
    const std::uint32_t rem = absf & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
}

namespace {

class NpyWriter final : public ArrayWriter {
  public:
    NpyWriter(const std::string& path, bool half) : file_(path), half_(half) {}
    void begin(const std::string&, const Region&, std::int64_t rows, std::int64_t cols) override {
        DNASSM_CHECK(!started_, ErrorKind::kUsage,
                     file_.path() +
                         ": a .npy file holds one array but the input has several "
                         "regions/records; write .h5 instead");
        started_ = true;
        out_ = &file_.stream(std::ios::binary);
        std::vector<std::int64_t> shape = {cols};
        if (rows > 0) shape.insert(shape.begin(), rows);
        const std::string preamble = npy_preamble(half_ ? "<f2" : "<f4", shape);
        out_->write(preamble.data(), static_cast<std::streamsize>(preamble.size()));
        expected_ = std::max<std::int64_t>(rows, 1) * cols;
        cols_ = cols;
    }
    void write_rows(const float* data, std::int64_t n_rows) override {
        const std::int64_t n = n_rows * cols_;
        write_npy_values(*out_, data, n, half_);
        written_ += n;
    }
    void end() override { DNASSM_ASSERT(written_ == expected_); }
    void commit() override {
        DNASSM_CHECK(started_, ErrorKind::kInput,
                     file_.path() + ": nothing to write (no input records)");
        file_.commit();
    }

  private:
    AtomicFile file_;
    std::ostream* out_ = nullptr;  // opened by begin()
    bool started_ = false;
    bool half_;
    std::int64_t expected_ = 0, written_ = 0, cols_ = 0;
};

class Hdf5Writer final : public ArrayWriter {
  public:
    Hdf5Writer(const std::string& path, bool half) : out_(path, half) {}
    ~Hdf5Writer() override { close_dataset(); }
    void begin(const std::string& name,
               const Region& region,
               std::int64_t rows,
               std::int64_t cols) override {
        std::string ds_name = name;
        std::replace(ds_name.begin(), ds_name.end(), '/', '|');  // '/' separates HDF5 groups
        if (ds_name.empty() || ds_name == ".") ds_name = "unnamed";
        std::string unique = ds_name;
        for (int k = 2; H5Lexists(out_.file(), unique.c_str(), H5P_DEFAULT) > 0; ++k)
            unique = ds_name + "#" + std::to_string(k);
        const hsize_t dims2[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
        const hsize_t dims1[1] = {static_cast<hsize_t>(cols)};
        space_ =
            rows > 0 ? H5Screate_simple(2, dims2, nullptr) : H5Screate_simple(1, dims1, nullptr);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (rows > 0) {
            const hsize_t chunk[2] = {static_cast<hsize_t>(std::min<std::int64_t>(rows, 4096)),
                                      static_cast<hsize_t>(cols)};
            H5Pset_chunk(dcpl, 2, chunk);
        }
        ds_ = H5Dcreate2(out_.file(), unique.c_str(), out_.value_type(), space_, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
        H5Pclose(dcpl);
        DNASSM_CHECK(ds_ >= 0, ErrorKind::kResource,
                     out_.path() + ": cannot create dataset '" + unique + "'");
        if (!region.contig.empty()) {
            out_.write_attr(ds_, "chrom", region.contig);
            out_.write_attr(ds_, "start", region.beg);
            out_.write_attr(ds_, "end", region.end);
        }
        // The name as given wherever the dataset's differs from it ('/' replaced, a repeat).
        if (!region.name.empty() || unique != name)
            out_.write_attr(ds_, "name", region.name.empty() ? name : region.name);
        if (region.strand != '.') out_.write_attr(ds_, "strand", std::string(1, region.strand));
        out_.write_attr(ds_, "index", datasets_++);
        rows_ = rows;
        cols_ = cols;
        row_ = 0;
    }
    void write_rows(const float* data, std::int64_t n_rows) override {
        if (rows_ == 0) {
            out_.write_values(ds_, H5S_ALL, H5S_ALL, data, cols_);
        } else {
            const hsize_t start[2] = {static_cast<hsize_t>(row_), 0};
            const hsize_t count[2] = {static_cast<hsize_t>(n_rows), static_cast<hsize_t>(cols_)};
            H5Sselect_hyperslab(space_, H5S_SELECT_SET, start, nullptr, count, nullptr);
            const hid_t mem = H5Screate_simple(2, count, nullptr);
            try {
                out_.write_values(ds_, mem, space_, data, n_rows * cols_);
            } catch (...) {
                H5Sclose(mem);
                throw;
            }
            H5Sclose(mem);
        }
        row_ += n_rows;
    }
    void end() override { close_dataset(); }
    void commit() override {
        close_dataset();
        out_.commit();
    }

    void describe(const FileAttributes& attributes) override {
        for (const auto& [key, value] : attributes)
            out_.write_attr(out_.file(), key.c_str(), value);
    }

  private:
    void close_dataset() {
        if (ds_ >= 0) H5Dclose(ds_);
        if (space_ >= 0) H5Sclose(space_);
        ds_ = space_ = -1;
    }

    Hdf5Output out_;
    hid_t ds_ = -1, space_ = -1;
    std::int64_t rows_ = 0, cols_ = 0, row_ = 0;
    std::int64_t datasets_ = 0;  // begun so far: the next one's input order
};

}  // namespace

std::unique_ptr<ArrayWriter> ArrayWriter::create(const std::string& path,
                                                 bool half,
                                                 const std::string& type) {
    const std::string ext = type.empty() ? file_extension(path) : type;
    if (ext == ".npy") return std::make_unique<NpyWriter>(path, half);
    if (ext == ".h5" || ext == ".hdf5") return std::make_unique<Hdf5Writer>(path, half);
    throw Error(ErrorKind::kUsage, path + ": unknown output type '" + ext + "' (use .npy or .h5)");
}

}  // namespace dnassm
