#include "dnassm/library_versions.h"

#include <bigWig.h>
#include <cblas.h>
#include <fftw3.h>
#include <hdf5.h>
#include <htslib/hts.h>

namespace dnassm {

namespace {

#define DNASSM_STRINGIFY_(x) #x
#define DNASSM_STRINGIFY(x)  DNASSM_STRINGIFY_(x)

std::string hdf5_version() {
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) return "unknown";
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// "fftw-3.3.10-sse2-avx" -> "3.3.10 (sse2-avx)".
std::string fftw_version() {
    std::string v = fftwf_version;
    if (v.rfind("fftw-", 0) == 0) v.erase(0, 5);
    const auto dash = v.find('-');
    return dash == std::string::npos ? v : v.substr(0, dash) + " (" + v.substr(dash + 1) + ")";
}

// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64" -> the version
// and the kernel set in use.
std::string openblas_version() {
    std::string config = openblas_get_config();
    if (config.rfind("OpenBLAS ", 0) == 0) config.erase(0, 9);
    const auto space = config.find(' ');
    return config.substr(0, space) + " (" + openblas_get_corename() + ")";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> library_versions() {
    return {{"htslib", hts_version()},
            {"libBigWig", DNASSM_STRINGIFY(LIBBIGWIG_VERSION)},
            {"hdf5", hdf5_version()},
            {"fftw", fftw_version()},
            {"openblas", openblas_version()}};
}

}  // namespace dnassm
