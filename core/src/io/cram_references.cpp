#include "dnassm/io/cram_references.h"

#include <cstdlib>
#include <string>

namespace dnassm {

void keep_cram_references_local() {
    const char* ref_path = std::getenv("REF_PATH");
    if (ref_path && *ref_path) return;
    const char* ref_cache = std::getenv("REF_CACHE");
    std::string local;
    if (ref_cache && *ref_cache) {
        local = ref_cache;
    } else {
        const char* xdg = std::getenv("XDG_CACHE_HOME");
        const char* home = std::getenv("HOME");
        const std::string base = xdg && *xdg     ? std::string(xdg)
                                 : home && *home ? std::string(home) + "/.cache"
                                                 : std::string("/tmp");
        local = base + "/hts-ref/%2s/%2s/%s";
    }
    setenv("REF_PATH", local.c_str(), 0);
}

}  // namespace dnassm
