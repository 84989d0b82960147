// Reading per-base tracks back (dnassm merge): bigWig through libBigWig, bedGraph as text.
#include <algorithm>
#include <fstream>
#include <limits>
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

using BigWigHandle = std::unique_ptr<bigWigFile_t, void (*)(bigWigFile_t*)>;

BigWigHandle open_bigwig(const std::string& path) {
    static std::once_flag init;
    std::call_once(init, [] { bwInit(1 << 17); });
    check_bigwig_structure(path);  // libBigWig trusts the file's offsets
    bigWigFile_t* fp = bwOpen(path.c_str(), nullptr, "r");
    DNASSM_CHECK(fp, ErrorKind::kInput, path + ": not a readable bigWig file");
    BigWigHandle guard(fp, bwClose);
    DNASSM_CHECK(fp->cl, ErrorKind::kInput, path + ": bigWig without a chromosome list");
    return guard;
}

bool is_bigwig(const std::string& path) {
    const std::string ext = text_extension(path);
    return path != "-" && !gz_name(path) && (ext == ".bw" || ext == ".bigwig");
}

Track read_bigwig(const std::string& path) {
    const BigWigHandle guard = open_bigwig(path);
    bigWigFile_t* fp = guard.get();
    Track t;
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

struct TrackValues::Impl {
    std::string path;
    BigWigHandle bigwig{nullptr, bwClose};
    std::map<std::string, std::vector<TrackInterval>> bedgraph;  // by contig, sorted by start
};

TrackValues::TrackValues(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    if (is_bigwig(path)) {
        impl_->bigwig = open_bigwig(path);
        return;
    }
    Track t = read_track(path);
    for (const auto& iv : t.intervals)
        impl_->bedgraph[t.contigs[static_cast<size_t>(iv.contig)].name].push_back(iv);
    for (auto& [name, ivs] : impl_->bedgraph)
        std::stable_sort(
            ivs.begin(), ivs.end(),
            [](const TrackInterval& a, const TrackInterval& b) { return a.beg < b.beg; });
}

TrackValues::~TrackValues() = default;

std::vector<float> TrackValues::values(const std::string& contig,
                                       std::int64_t beg,
                                       std::int64_t end) const {
    std::vector<float> out(static_cast<size_t>(end - beg), std::numeric_limits<float>::quiet_NaN());
    auto put = [&](std::int64_t b, std::int64_t e, float v) {
        for (std::int64_t p = std::max(b, beg); p < std::min(e, end); ++p)
            out[static_cast<size_t>(p - beg)] = v;
    };
    if (bigWigFile_t* fp = impl_->bigwig.get()) {
        bool known = false;
        for (std::int64_t i = 0; i < fp->cl->nKeys && !known; ++i)
            known = contig == fp->cl->chrom[i];
        if (!known) return out;  // a contig the track does not cover
        bwOverlappingIntervals_t* iv = bwGetOverlappingIntervals(
            fp, const_cast<char*>(contig.c_str()), static_cast<std::uint32_t>(beg),
            static_cast<std::uint32_t>(end));
        DNASSM_CHECK(iv, ErrorKind::kInput, impl_->path + ": cannot read intervals of " + contig);
        for (std::uint32_t k = 0; k < iv->l; ++k) put(iv->start[k], iv->end[k], iv->value[k]);
        bwDestroyOverlappingIntervals(iv);
        return out;
    }
    const auto it = impl_->bedgraph.find(contig);
    if (it == impl_->bedgraph.end()) return out;
    // Should intervals overlap (a bedGraph is not checked for it), the one starting later wins.
    for (const auto& iv : it->second) {
        if (iv.beg >= end) break;
        put(iv.beg, iv.end, iv.value);
    }
    return out;
}

Track read_track(const std::string& path) {
    const std::string ext = text_extension(path);
    // "-": bedGraph on standard input (dnassm predict -o - ... | dnassm call ... -).
    if (path == "-" || ext == ".bedgraph" || ext == ".bg") return read_bedgraph(path);
    if (is_bigwig(path)) return read_bigwig(path);
    throw Error(ErrorKind::kUsage,
                path +
                    ": tracks are .bw/.bigwig or .bedgraph/.bg (.bedgraph.gz compressed), or - for "
                    "bedGraph on standard input");
}

}  // namespace dnassm
