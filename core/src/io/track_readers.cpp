// Reading per-base tracks back (dnassm merge): bigWig through libBigWig, bedGraph as text.
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <bigWig.h>

#include "dnassm/error.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/writers.h"

#include "bigwig_check.h"

namespace dnassm {

namespace {

Track read_bigwig(const std::string& path) {
    static std::once_flag init;
    std::call_once(init, [] { bwInit(1 << 17); });
    check_bigwig_structure(path);  // libBigWig trusts the file's offsets
    bigWigFile_t* fp = bwOpen(path.c_str(), nullptr, "r");
    DNASSM_CHECK(fp, ErrorKind::kInput, path + ": not a readable bigWig file");
    std::unique_ptr<bigWigFile_t, void (*)(bigWigFile_t*)> guard(fp, bwClose);
    Track t;
    DNASSM_CHECK(fp->cl, ErrorKind::kInput, path + ": bigWig without a chromosome list");
    for (std::int64_t i = 0; i < fp->cl->nKeys; ++i) {
        DNASSM_CHECK(
            fp->cl->chrom[i], ErrorKind::kInput,
            path + ": not a valid bigWig file (unnamed chromosome " + std::to_string(i) + ")");
        t.contigs.push_back({fp->cl->chrom[i], static_cast<std::int64_t>(fp->cl->len[i])});
        bwOverlappingIntervals_t* iv =
            bwGetOverlappingIntervals(fp, fp->cl->chrom[i], 0, fp->cl->len[i]);
        DNASSM_CHECK(iv, ErrorKind::kInput,
                     path + ": cannot read intervals of " + fp->cl->chrom[i]);
        for (std::uint32_t k = 0; k < iv->l; ++k)
            t.intervals.push_back(
                {static_cast<std::int32_t>(i), iv->start[k], iv->end[k], iv->value[k]});
        bwDestroyOverlappingIntervals(iv);
    }
    return t;
}

// Plain, gzip or BGZF text, through HTSlib.
Track read_bedgraph(const std::string& path) {
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    Track t;
    std::map<std::string, std::int32_t> index;
    std::string_view text;
    while (lines.next(text)) {
        const std::string line(text);
        const std::int64_t line_no = lines.line_no();
        if (line.empty() || line[0] == '#' || line.rfind("track", 0) == 0) continue;
        std::istringstream f(line);
        std::string chrom;
        TrackInterval iv;
        DNASSM_CHECK(
            static_cast<bool>(f >> chrom >> iv.beg >> iv.end >> iv.value) && iv.beg < iv.end,
            ErrorKind::kInput,
            path + ": line " + std::to_string(line_no) + ": expected chrom, start, end, value");
        auto it = index.find(chrom);
        if (it == index.end()) {
            it = index.emplace(chrom, static_cast<std::int32_t>(t.contigs.size())).first;
            t.contigs.push_back({chrom, 0});
        }
        iv.contig = it->second;
        t.contigs[static_cast<size_t>(iv.contig)].length =
            std::max(t.contigs[static_cast<size_t>(iv.contig)].length, iv.end);
        t.intervals.push_back(iv);
    }
    lines.check_read(path);
    return t;
}

}  // namespace

Track read_track(const std::string& path) {
    const std::string ext = text_extension(path);
    // "-": bedGraph on standard input (dnassm predict -o - ... | dnassm call ... -).
    if (path == "-" || ext == ".bedgraph" || ext == ".bg") return read_bedgraph(path);
    if (!gz_name(path) && (ext == ".bw" || ext == ".bigwig")) return read_bigwig(path);
    throw Error(ErrorKind::kUsage,
                path +
                    ": tracks are .bw/.bigwig or .bedgraph/.bg (.bedgraph.gz compressed), or - for "
                    "bedGraph on standard input");
}

}  // namespace dnassm
