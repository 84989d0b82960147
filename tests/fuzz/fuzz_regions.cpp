// samtools region strings, one per line, against a fixed contig list; each line also as a
// command-line variant (score --variant, the explorer's variant mode).
#include <sstream>

#include "dnassm/io/region.h"
#include "dnassm/io/variant_spec.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::vector<dnassm::Contig> contigs{
        {"chr1", 1000}, {"odd:name", 50}, {"NC_001416.1", 48502}, {"x", 1}};
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    std::string line;
    while (std::getline(in, line))
        dnassm::fuzz::guarded([&] {
            for (const auto& r : dnassm::parse_regions({line}, contigs))
                if (r.beg < 0 || r.end > 48502 || r.beg >= r.end) {
                    std::fprintf(stderr, "fuzz: accepted bad region \"%s\" -> %lld-%lld\n",
                                 line.c_str(), static_cast<long long>(r.beg),
                                 static_cast<long long>(r.end));
                    std::abort();
                }
        });
    dnassm::fuzz::guarded([&] {
        const dnassm::VariantSpec v = dnassm::parse_variant_spec(line);
        const auto is_bases = [](const std::string& a) {
            return !a.empty() && a.find_first_not_of("ACGTN") == std::string::npos;
        };
        bool ok = v.pos >= 1 && !v.contig.empty() && is_bases(v.ref) && !v.alts.empty();
        for (const auto& alt : v.alts) ok = ok && is_bases(alt) && alt != v.ref;
        if (!ok) {
            std::fprintf(stderr, "fuzz: accepted bad variant \"%s\"\n", line.c_str());
            std::abort();
        }
    });
    return 0;
}
