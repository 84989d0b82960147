#include "dnassm/io/output_index.h"

#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/writers.h"
#include "dnassm/thread_pool.h"

namespace dnassm {

namespace {

enum class IndexKind { kNone, kBed, kVcf, kBcf };

IndexKind index_kind(const std::string& path) {
    const std::string type = text_extension(path);
    if (!gz_name(path)) return type == ".bcf" ? IndexKind::kBcf : IndexKind::kNone;
    if (type == ".bed" || type == ".bedgraph" || type == ".bg") return IndexKind::kBed;
    return type == ".vcf" ? IndexKind::kVcf : IndexKind::kNone;
}

}  // namespace

bool indexable_output(const std::string& path) { return index_kind(path) != IndexKind::kNone; }

void write_output_index(const std::string& path) {
    const IndexKind kind = index_kind(path);
    DNASSM_CHECK(kind != IndexKind::kNone, ErrorKind::kUsage,
                 path + ": --write-index indexes .bed.gz, .bedgraph.gz, .vcf.gz and .bcf outputs");
    // Built beside the index's name and renamed into place, as outputs are: a failed or stopped
    // run leaves no partial index.
    AtomicFile index(path + (kind == IndexKind::kBcf ? ".csi" : ".tbi"));
    const char* temp = index.temp_path().c_str();
    const int built = kind == IndexKind::kBed
                          ? tbx_index_build2(path.c_str(), temp, 0, &tbx_conf_bed)
                          : bcf_index_build3(path.c_str(), temp, kind == IndexKind::kBcf ? 14 : 0,
                                             num_threads() > 1 ? num_threads() : 0);
    DNASSM_CHECK(built == 0, ErrorKind::kResource,
                 path + ": cannot build its index (" + std::to_string(built) + ")");
    index.commit();
}

}  // namespace dnassm
