// Region files: BED (comments, track lines, bad columns, unknown contigs, bad ranges) and GFF3/GTF
// annotations (attributes, Parent chains and cycles, percent escapes, embedded FASTA), each read
// the way -R reads it and also forced through the GFF reader.
#include "dnassm/io/gff.h"
#include "dnassm/io/region.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::vector<dnassm::Contig> contigs{{"chr1", 1000}, {"chr2", 500}};
    const std::string path = dnassm::fuzz::temp_file(data, size, ".bed");
    dnassm::fuzz::guarded([&] {
        for (const auto& r : dnassm::read_region_file(path, contigs))
            if (r.beg < 0 || r.beg >= r.end || r.end > 1000) std::abort();
    });
    return dnassm::fuzz::guarded([&] {
        for (const auto& f : dnassm::read_gff_features(path))
            if (f.region.beg < 0 || f.region.beg >= f.region.end || f.line < 1) std::abort();
    });
}
