// Region files: BED (comments, track lines, bad columns, unknown contigs, bad ranges, BED12 thick
// and block columns) and GFF3/GTF annotations (attributes, Parent chains and cycles, percent
// escapes, embedded FASTA), each read the way -R reads it, the way the explorer reads it (with
// gene models), and forced through the GFF reader.
#include "dnassm/io/gff.h"
#include "dnassm/io/region.h"

#include "fuzz_target.h"

namespace {

// A gene model lies within its feature: exons sorted and disjoint, the coding part inside.
void check_model(const dnassm::Region& r, const dnassm::GeneModel& m) {
    std::int64_t last = r.beg;
    for (const auto& [b, e] : m.exons) {
        if (b < last || b >= e || e > r.end) std::abort();
        last = e;
    }
    if (m.thick_beg < r.beg || m.thick_beg > m.thick_end || m.thick_end > r.end) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::vector<dnassm::Contig> contigs{{"chr1", 1000}, {"chr2", 500}};
    const std::string path = dnassm::fuzz::temp_file(data, size, ".bed");
    dnassm::fuzz::guarded([&] {
        for (const auto& r : dnassm::read_region_file(path, contigs))
            if (r.beg < 0 || r.beg >= r.end || r.end > 1000) std::abort();
    });
    dnassm::fuzz::guarded([&] {
        std::vector<dnassm::GeneModel> models;
        const auto regions = dnassm::read_bed(path, contigs, &models);
        if (models.size() != regions.size()) std::abort();
        for (size_t i = 0; i < regions.size(); ++i) check_model(regions[i], models[i]);
    });
    return dnassm::fuzz::guarded([&] {
        for (const auto& f : dnassm::read_gff_features(path)) {
            if (f.region.beg < 0 || f.region.beg >= f.region.end || f.line < 1) std::abort();
            check_model(f.region, f.model);
        }
    });
}
