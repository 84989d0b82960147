// Internal: an HDF5 file being written by embed (per-base arrays or pooled vectors). It is made
// under a temp name and renamed into place by commit() (AtomicFile), without HDF5's file lock
// (hdf5_file_access.h), and stores values as float32 or as IEEE float16.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hdf5.h>

#include "dnassm/io/atomic_file.h"

namespace dnassm {

class Hdf5Output {
  public:
    Hdf5Output(const std::string& path, bool half);
    ~Hdf5Output();
    Hdf5Output(const Hdf5Output&) = delete;
    Hdf5Output& operator=(const Hdf5Output&) = delete;

    [[nodiscard]] hid_t file() const { return fid_; }
    [[nodiscard]] const std::string& path() const { return file_.path(); }
    /// The type values are stored as: float32, or with `half` an IEEE binary16 layout.
    [[nodiscard]] hid_t value_type() const { return value_type_; }

    /// Writes `n` floats from `data` into the selection `file_space` of dataset `ds` (`mem_space`
    /// describing `data`, or H5S_ALL for both), rounded to float16 first with `half`.
    void write_values(
        hid_t ds, hid_t mem_space, hid_t file_space, const float* data, std::int64_t n) const;
    /// Scalar attributes: variable-length UTF-8 text (which h5py returns as str), or int64.
    void write_attr(hid_t on, const char* key, const std::string& value) const;
    void write_attr(hid_t on, const char* key, std::int64_t value) const;
    /// One-dimensional datasets under the root: variable-length UTF-8 strings, or int64.
    void write_column(const char* name, const std::vector<std::string>& values) const;
    void write_column(const char* name, const std::vector<std::int64_t>& values) const;

    /// Closes the file and renames it into place.
    void commit();

  private:
    AtomicFile file_;
    bool half_;
    hid_t fid_ = -1, value_type_ = -1;
};

}  // namespace dnassm
