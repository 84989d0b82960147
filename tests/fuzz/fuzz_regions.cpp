// samtools region strings, one per line, against a fixed contig list.
#include <sstream>

#include "dnassm/io/region.h"

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
                    std::fprintf(stderr, "fuzz: accepted bad region \"%s\" -> %lld-%lld\n", line.c_str(),
                                 static_cast<long long>(r.beg), static_cast<long long>(r.end));
                    std::abort();
                }
        });
    return 0;
}
