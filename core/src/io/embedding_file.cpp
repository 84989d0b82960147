#include "dnassm/io/embedding_file.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <hdf5.h>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"

#include "hdf5_file_access.h"

namespace dnassm {

namespace {

// HDF5 prints its error stack to stderr unless told not to; a reader that reports errors itself
// turns that off while it runs.
class QuietHdf5 {
  public:
    QuietHdf5() {
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
    QuietHdf5(const QuietHdf5&) = delete;
    QuietHdf5& operator=(const QuietHdf5&) = delete;

  private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

// A scalar string or integer attribute as text; empty (skipped) for other kinds.
std::string attribute_text(hid_t attr) {
    std::string text;
    const hid_t type = H5Aget_type(attr);
    if (H5Tget_class(type) == H5T_STRING) {
        const hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mem, H5Tget_cset(type));  // HDF5 converts no ASCII <-> UTF-8
        if (H5Tis_variable_str(type) > 0) {
            H5Tset_size(mem, H5T_VARIABLE);
            char* value = nullptr;
            if (H5Aread(attr, mem, &value) >= 0 && value) {
                text = value;
                H5free_memory(value);
            }
        } else {
            const size_t n = H5Tget_size(type) + 1;  // room for the terminator HDF5 writes
            H5Tset_size(mem, n);
            std::string buf(n, '\0');
            if (H5Aread(attr, mem, buf.data()) >= 0) text = buf.substr(0, buf.find('\0'));
        }
        H5Tclose(mem);
    } else if (H5Tget_class(type) == H5T_INTEGER) {
        long long v = 0;
        if (H5Aread(attr, H5T_NATIVE_LLONG, &v) >= 0) text = std::to_string(v);
    }
    H5Tclose(type);
    return text;
}

herr_t collect(hid_t loc, const char* name, const H5A_info_t*, void* out) {
    const hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0) return 0;
    std::string text = attribute_text(attr);
    H5Aclose(attr);
    if (!text.empty()) static_cast<FileAttributes*>(out)->emplace_back(name, std::move(text));
    return 0;
}

}  // namespace

bool is_hdf5_file(const std::string& path) {
    const QuietHdf5 quiet;
    return H5Fis_hdf5(path.c_str()) > 0;
}

EmbeddingFileInfo read_embedding_file_info(const std::string& path) {
    require_readable_file(path, "embeddings (.h5)");
    const QuietHdf5 quiet;
    DNASSM_CHECK(H5Fis_hdf5(path.c_str()) > 0, ErrorKind::kInput, path + ": not an HDF5 file");
    const hid_t fid = H5Fopen(path.c_str(), H5F_ACC_RDONLY, Hdf5FileAccess().id());
    DNASSM_CHECK(fid >= 0, ErrorKind::kInput, path + ": cannot open HDF5 file");
    EmbeddingFileInfo info;
    const hid_t root = H5Gopen2(fid, "/", H5P_DEFAULT);
    hsize_t at = 0;
    const herr_t read_attrs =
        root < 0 ? -1
                 : H5Aiterate2(root, H5_INDEX_NAME, H5_ITER_INC, &at, collect, &info.description);
    H5G_info_t group{};
    const herr_t read_group = root < 0 ? -1 : H5Gget_info(root, &group);
    if (root >= 0) H5Gclose(root);
    if (H5Lexists(fid, "embeddings", H5P_DEFAULT) > 0) {  // pooled: one [N, D] matrix
        const hid_t ds = H5Dopen2(fid, "embeddings", H5P_DEFAULT);
        const hid_t space = ds < 0 ? -1 : H5Dget_space(ds);
        hsize_t dims[2] = {0, 0};
        if (space >= 0 && H5Sget_simple_extent_ndims(space) == 2 &&
            H5Sget_simple_extent_dims(space, dims, nullptr) == 2) {
            info.vectors = static_cast<std::int64_t>(dims[0]);
            info.dims = static_cast<std::int64_t>(dims[1]);
        }
        if (space >= 0) H5Sclose(space);
        if (ds >= 0) H5Dclose(ds);
    }
    H5Fclose(fid);
    DNASSM_CHECK(read_attrs >= 0 && read_group >= 0, ErrorKind::kInput,
                 path + ": cannot read the HDF5 file's root");
    info.datasets = static_cast<std::int64_t>(group.nlinks);
    // The order embed writes them (HDF5 lists attributes by name).
    static constexpr std::array<std::string_view, 12> kOrder = {
        "dnassm_version", "command", "model",       "model_family", "model_fingerprint", "device",
        "pooling",        "stride",  "rc_averaged", "stranded",     "fold_rc",           "bf16"};
    const auto rank = [](const std::string& key) {
        return std::find(kOrder.begin(), kOrder.end(), key) - kOrder.begin();
    };
    std::stable_sort(info.description.begin(), info.description.end(),
                     [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
    return info;
}

}  // namespace dnassm
