// The libraries dnassm is built on and their versions, for `dnassm --version` (as samtools
// --version names HTSlib and the compression libraries it uses) and for bug reports.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dnassm {

/// (library, version) pairs: as the libraries report them at run time (HTSlib, HDF5, FFTW,
/// OpenBLAS with the kernel set it chose), or as compiled against (libBigWig).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> library_versions();

}  // namespace dnassm
