// BED files (plain text; comments, track lines, bad columns, unknown contigs, bad ranges).
#include "dnassm/io/region.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::vector<dnassm::Contig> contigs{{"chr1", 1000}, {"chr2", 500}};
    const std::string path = dnassm::fuzz::temp_file(data, size, ".bed");
    return dnassm::fuzz::guarded([&] {
        for (const auto& r : dnassm::read_bed(path, contigs))
            if (r.beg < 0 || r.beg >= r.end || r.end > 1000) std::abort();
    });
}
