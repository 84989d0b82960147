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

#include "hdf5_file_access.h"

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
    Hdf5Writer(const std::string& path, bool half) : file_(path), half_(half) {
        H5Eset_auto2(H5E_DEFAULT, nullptr,
                     nullptr);  // errors become our exceptions, not stderr dumps
        fid_ =
            H5Fcreate(file_.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, Hdf5FileAccess().id());
        DNASSM_CHECK(fid_ >= 0, ErrorKind::kResource, file_.path() + ": cannot create HDF5 file");
    }
    ~Hdf5Writer() override {
        close_dataset();
        if (ftype_ >= 0) H5Tclose(ftype_);
        if (fid_ >= 0) H5Fclose(fid_);
    }
    void begin(const std::string& name,
               const Region& region,
               std::int64_t rows,
               std::int64_t cols) override {
        std::string ds_name = name;
        std::replace(ds_name.begin(), ds_name.end(), '/', '|');  // '/' separates HDF5 groups
        if (ds_name.empty() || ds_name == ".") ds_name = "unnamed";
        std::string unique = ds_name;
        for (int k = 2; H5Lexists(fid_, unique.c_str(), H5P_DEFAULT) > 0; ++k)
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
        // float16: an IEEE binary16 layout derived from float32 (HDF5 1.10 predefines none;
        // h5py reads it as numpy float16). We round to half ourselves (round-to-nearest-even,
        // as numpy does) and write the bits with this same type, so HDF5 converts nothing.
        if (ftype_ < 0) {
            ftype_ = H5Tcopy(H5T_IEEE_F32LE);
            if (half_) {
                H5Tset_fields(ftype_, 15, 10, 5, 0, 10);
                H5Tset_size(ftype_, 2);
                H5Tset_ebias(ftype_, 15);
            }
        }
        ds_ = H5Dcreate2(fid_, unique.c_str(), ftype_, space_, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
        DNASSM_CHECK(ds_ >= 0, ErrorKind::kResource,
                     file_.path() + ": cannot create dataset '" + unique + "'");
        if (!region.contig.empty()) {
            write_attr(ds_, "chrom", region.contig);
            write_attr(ds_, "start", region.beg);
            write_attr(ds_, "end", region.end);
        }
        // The name as given wherever the dataset's differs from it ('/' replaced, a repeat).
        if (!region.name.empty() || unique != name)
            write_attr(ds_, "name", region.name.empty() ? name : region.name);
        if (region.strand != '.') write_attr(ds_, "strand", std::string(1, region.strand));
        write_attr(ds_, "index", datasets_++);
        rows_ = rows;
        cols_ = cols;
        row_ = 0;
    }
    void write_rows(const float* data, std::int64_t n_rows) override {
        const std::int64_t n = (rows_ == 0 ? 1 : n_rows) * cols_;
        std::vector<std::uint16_t> bits;
        const void* buf = data;
        hid_t mem_type = H5T_NATIVE_FLOAT;
        if (half_) {
            bits.resize(static_cast<size_t>(n));
            for (std::int64_t i = 0; i < n; ++i)
                bits[static_cast<size_t>(i)] = float_to_half(data[i]);
            buf = bits.data();
            mem_type = ftype_;
        }
        herr_t st;
        if (rows_ == 0) {
            st = H5Dwrite(ds_, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        } else {
            const hsize_t start[2] = {static_cast<hsize_t>(row_), 0};
            const hsize_t count[2] = {static_cast<hsize_t>(n_rows), static_cast<hsize_t>(cols_)};
            H5Sselect_hyperslab(space_, H5S_SELECT_SET, start, nullptr, count, nullptr);
            hid_t mem = H5Screate_simple(2, count, nullptr);
            st = H5Dwrite(ds_, mem_type, mem, space_, H5P_DEFAULT, buf);
            H5Sclose(mem);
        }
        DNASSM_CHECK(st >= 0, ErrorKind::kResource,
                     file_.path() + ": HDF5 write failed (disk full?)");
        row_ += n_rows;
    }
    void end() override { close_dataset(); }
    void commit() override {
        close_dataset();
        const herr_t st = H5Fclose(fid_);
        fid_ = -1;
        DNASSM_CHECK(st >= 0, ErrorKind::kResource,
                     file_.path() + ": HDF5 close failed (disk full?)");
        file_.commit();
    }

    void describe(const FileAttributes& attributes) override {
        for (const auto& [key, value] : attributes) write_attr(fid_, key.c_str(), value);
    }

  private:
    void write_attr(hid_t on, const char* key, const std::string& value) {
        // Variable-length UTF-8, which h5py returns as str.
        hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(on, key, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        DNASSM_CHECK(a >= 0, ErrorKind::kResource,
                     file_.path() + ": cannot write HDF5 attribute '" + key + "'");
        const char* str = value.c_str();
        H5Awrite(a, type, &str);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(type);
    }
    void write_attr(hid_t on, const char* key, std::int64_t value) {
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(on, key, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT64, &value);
        H5Aclose(a);
        H5Sclose(sp);
    }
    void close_dataset() {
        if (ds_ >= 0) H5Dclose(ds_);
        if (space_ >= 0) H5Sclose(space_);
        ds_ = space_ = -1;
    }

    AtomicFile file_;
    bool half_;
    hid_t fid_ = -1, ds_ = -1, space_ = -1, ftype_ = -1;
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
