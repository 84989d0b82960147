// Per-base track files read back by `dnassm merge` and the explorer: bedGraph text or bigWig
// binary (libBigWig), by content, read whole and queried by region.
#include <cmath>
#include <cstdint>
#include <utility>

#include "dnassm/io/writers.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    // The reader picks the format by extension; feed every input as both.
    for (const char* suffix : {".bedgraph", ".bw"}) {
        const std::string path = dnassm::fuzz::temp_file(data, size, suffix);
        dnassm::fuzz::guarded([&] {
            const auto t = dnassm::read_track(path);
            const bool text = suffix[1] == 'b' && suffix[2] == 'e';
            for (const auto& iv : t.intervals)
                if (iv.contig < 0 || static_cast<size_t>(iv.contig) >= t.contigs.size() ||
                    iv.beg < 0 || iv.beg >= iv.end || iv.end > std::int64_t{UINT32_MAX} ||
                    (text && !std::isfinite(iv.value)))  // a bedGraph's NaN is no interval
                    std::abort();
            // `dnassm info` reads the description from the top alone: the same one.
            if (dnassm::read_track_description(path) != t.description) std::abort();
        });
        // finetune --task track queries regions through the file's index instead.
        dnassm::fuzz::guarded([&] {
            const dnassm::TrackFile track(path);
            for (const char* contig : {"chr1", "chr2", "NC_001416.1"})
                for (const auto& [beg, end] :
                     {std::pair<std::int64_t, std::int64_t>{0, 100}, {50, 5000}, {0, 1}})
                    if (track.values(contig, beg, end).size() != static_cast<size_t>(end - beg))
                        std::abort();
        });
    }
    return 0;
}
