// Internal: the file-access properties dnassm opens HDF5 files with. HDF5 locks a file it opens
// (flock), which fails on cluster filesystems mounted without lock support (Lustre, some NFS:
// "unable to lock file, errno = 38"), so a run there could write no .h5 at all. An output is a
// private temp file renamed into place and an input is opened read-only: neither needs the lock.
#pragma once

#include <hdf5.h>

namespace dnassm {

class Hdf5FileAccess {
  public:
    Hdf5FileAccess() : id_(H5Pcreate(H5P_FILE_ACCESS)) {
        if (id_ >= 0) H5Pset_file_locking(id_, false, true);
    }
    ~Hdf5FileAccess() {
        if (id_ >= 0) H5Pclose(id_);
    }
    Hdf5FileAccess(const Hdf5FileAccess&) = delete;
    Hdf5FileAccess& operator=(const Hdf5FileAccess&) = delete;

    /// For H5Fcreate/H5Fopen (the library's defaults if the list could not be made).
    [[nodiscard]] hid_t id() const { return id_ >= 0 ? id_ : H5P_DEFAULT; }

  private:
    hid_t id_;
};

}  // namespace dnassm
