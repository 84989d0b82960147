#include "hdf5_output.h"

#include "dnassm/error.h"
#include "dnassm/io/writers.h"

#include "hdf5_file_access.h"

namespace dnassm {

namespace {

// Variable-length UTF-8 text.
hid_t text_type() {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

}  // namespace

Hdf5Output::Hdf5Output(const std::string& path, bool half) : file_(path), half_(half) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become our exceptions, not stderr dumps
    fid_ = H5Fcreate(file_.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, Hdf5FileAccess().id());
    DNASSM_CHECK(fid_ >= 0, ErrorKind::kResource, file_.path() + ": cannot create HDF5 file");
    // float16: an IEEE binary16 layout derived from float32 (HDF5 1.10 predefines none; h5py
    // reads it as numpy float16). Values are rounded to half here (round-to-nearest-even, as
    // numpy does) and written with this same type, so HDF5 converts nothing.
    value_type_ = H5Tcopy(H5T_IEEE_F32LE);
    if (half_) {
        H5Tset_fields(value_type_, 15, 10, 5, 0, 10);
        H5Tset_size(value_type_, 2);
        H5Tset_ebias(value_type_, 15);
    }
}

Hdf5Output::~Hdf5Output() {
    if (value_type_ >= 0) H5Tclose(value_type_);
    if (fid_ >= 0) H5Fclose(fid_);
}

void Hdf5Output::write_values(
    hid_t ds, hid_t mem_space, hid_t file_space, const float* data, std::int64_t n) const {
    std::vector<std::uint16_t> bits;
    const void* buf = data;
    hid_t mem_type = H5T_NATIVE_FLOAT;
    if (half_) {
        bits.resize(static_cast<size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) bits[static_cast<size_t>(i)] = float_to_half(data[i]);
        buf = bits.data();
        mem_type = value_type_;
    }
    DNASSM_CHECK(H5Dwrite(ds, mem_type, mem_space, file_space, H5P_DEFAULT, buf) >= 0,
                 ErrorKind::kResource, file_.path() + ": HDF5 write failed (disk full?)");
}

void Hdf5Output::write_attr(hid_t on, const char* key, const std::string& value) const {
    const hid_t type = text_type(), space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(on, key, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* str = value.c_str();
    const bool ok = a >= 0 && H5Awrite(a, type, &str) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    DNASSM_CHECK(ok, ErrorKind::kResource,
                 file_.path() + ": cannot write HDF5 attribute '" + key + "'");
}

void Hdf5Output::write_attr(hid_t on, const char* key, std::int64_t value) const {
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(on, key, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    const bool ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    DNASSM_CHECK(ok, ErrorKind::kResource,
                 file_.path() + ": cannot write HDF5 attribute '" + key + "'");
}

namespace {

// A one-dimensional dataset `name` of `n` values of `file_type`, written from `data`.
void write_1d(hid_t fid,
              const std::string& path,
              const char* name,
              hid_t file_type,
              hid_t mem_type,
              std::size_t n,
              const void* data) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t ds = H5Dcreate2(fid, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const bool ok =
        ds >= 0 && (n == 0 || H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    DNASSM_CHECK(ok, ErrorKind::kResource,
                 path + ": cannot write HDF5 dataset '" + name + "' (disk full?)");
}

}  // namespace

void Hdf5Output::write_column(const char* name, const std::vector<std::string>& values) const {
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const std::string& v : values) ptrs.push_back(v.c_str());
    const hid_t type = text_type();
    try {
        write_1d(fid_, file_.path(), name, type, type, values.size(), ptrs.data());
    } catch (...) {
        H5Tclose(type);
        throw;
    }
    H5Tclose(type);
}

void Hdf5Output::write_column(const char* name, const std::vector<std::int64_t>& values) const {
    write_1d(fid_, file_.path(), name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.size(),
             values.data());
}

void Hdf5Output::commit() {
    const herr_t st = H5Fclose(fid_);
    fid_ = -1;
    DNASSM_CHECK(st >= 0, ErrorKind::kResource, file_.path() + ": HDF5 close failed (disk full?)");
    file_.commit();
}

}  // namespace dnassm
