// Reading per-base tracks back (dnassm merge): bigWig through libBigWig, bedGraph as text.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include <bigWig.h>

#include "dnassm/error.h"
#include "dnassm/io/region.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/writers.h"
#include "dnassm/text.h"

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
    return path != "-" && !gz_name(path) && is_bigwig_extension(text_extension(path));
}

// "-": bedGraph on standard input (dnassm predict -o - ... | dnassm call ... -).
bool is_bedgraph(const std::string& path) {
    const std::string ext = text_extension(path);
    return path == "-" || ext == ".bedgraph" || ext == ".bg";
}

[[noreturn]] void throw_not_a_track(const std::string& path) {
    throw Error(ErrorKind::kUsage,
                path +
                    ": tracks are .bw/.bigwig or .bedgraph/.bg (.bedgraph.gz compressed), or - for "
                    "bedGraph on standard input");
}

const char* bigwig_contig(const bigWigFile_t* fp, std::int64_t i, const std::string& path) {
    DNASSM_CHECK(fp->cl->chrom[i], ErrorKind::kInput,
                 path + ": not a valid bigWig file (unnamed chromosome " + std::to_string(i) + ")");
    return fp->cl->chrom[i];
}

// One contig of a bigWig, a few blocks at a time (libBigWig's iterator).
class BigWigCursor final : public TrackFile::Cursor {
  public:
    BigWigCursor(bigWigFile_t* fp,
                 std::int32_t tid,
                 std::uint32_t beg,
                 std::uint32_t end,
                 const std::string& path)
        : path_(path), contig_(fp->cl->chrom[tid]), tid_(tid) {
        constexpr std::uint32_t kBlocksPerStep = 16;
        it_.reset(bwOverlappingIntervalsIterator(fp, fp->cl->chrom[tid], beg, end, kBlocksPerStep));
        DNASSM_CHECK(it_, ErrorKind::kInput, path_ + ": cannot read intervals of " + contig_);
        // Blocks found but none read: a block libBigWig could not decompress.
        const auto* blocks = static_cast<const bwOverlapBlock_t*>(it_->blocks);
        DNASSM_CHECK(it_->data || !blocks || blocks->n == 0, ErrorKind::kInput,
                     path_ + ": cannot read intervals of " + contig_ + " (corrupt block?)");
    }
    bool next(TrackInterval& iv) override {
        while (it_ && it_->data) {
            const bwOverlappingIntervals_t* o = it_->intervals;
            if (k_ < o->l) {
                iv = {tid_, o->start[k_], o->end[k_], o->value[k_]};
                ++k_;
                return true;
            }
            k_ = 0;
            it_.reset(bwIteratorNext(it_.release()));  // on an error: destroyed, null
            DNASSM_CHECK(it_, ErrorKind::kInput,
                         path_ + ": cannot read intervals of " + contig_ + " (corrupt block?)");
        }
        return false;
    }

  private:
    std::string path_, contig_;
    std::int32_t tid_;
    std::unique_ptr<bwOverlapIterator_t, void (*)(bwOverlapIterator_t*)> it_{nullptr,
                                                                             bwIteratorDestroy};
    std::uint32_t k_ = 0;
};

// bigWig stores 32-bit positions; no genome has a contig longer.
constexpr std::int64_t kMaxTrackCoordinate = UINT32_MAX;

// A bedGraph interval as held in memory: 12 bytes (positions fit 32 bits, as above), so a
// chromosome's per-base track piped into `call` is a few GB, not tens.
struct HeldInterval {
    std::uint32_t beg, end;
    float value;
};

// One contig of a bedGraph read into memory.
class SpanCursor final : public TrackFile::Cursor {
  public:
    SpanCursor(std::int32_t contig, std::span<const HeldInterval> ivs)
        : contig_(contig), ivs_(ivs) {}
    bool next(TrackInterval& iv) override {
        if (k_ == ivs_.size()) return false;
        const HeldInterval& h = ivs_[k_++];
        iv = {contig_, h.beg, h.end, h.value};
        return true;
    }

  private:
    std::int32_t contig_;
    std::span<const HeldInterval> ivs_;
    size_t k_ = 0;
};

// A track value: a finite float, or NaN (no value there, as a base a bigWig does not cover).
std::optional<float> parse_track_value(std::string_view text, const std::string& where) {
    if (text.size() > 1 && text[0] == '+') text.remove_prefix(1);  // strtod's sign, as UCSC reads
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    const bool number = ec == std::errc() && p == text.data() + text.size();
    DNASSM_CHECK(number || ec == std::errc::result_out_of_range, ErrorKind::kInput,
                 where + ": value '" + std::string(text) + "' is not a number");
    if (number && std::isnan(v)) return std::nullopt;
    DNASSM_CHECK(
        number && std::abs(v) <= std::numeric_limits<float>::max(), ErrorKind::kInput,
        where + ": value '" + std::string(text) + "' is not a finite number a track holds");
    return static_cast<float>(v);
}

// A "# key: value" line (TrackWriter::describe) added to `d`; false for any other line.
bool add_description_line(std::string_view text, FileAttributes& d) {
    if (!text.starts_with("# ")) return false;
    const size_t colon = text.find(": ");
    if (colon == std::string_view::npos) return false;
    std::string_view value = text.substr(colon + 2);
    if (value.ends_with('\r')) value.remove_suffix(1);
    d.emplace_back(text.substr(2, colon - 2), value);
    return true;
}

// Whether a bedGraph line holds no data: blank, a comment, a track or browser line.
bool is_header_text(std::string_view text) {
    return is_blank(text) || is_bed_header_line(text.substr(text.find_first_not_of(" \t\r")));
}

// Plain, gzip or BGZF text, through HTSlib. Fields are split on whitespace and those past the
// fourth ignored, as UCSC's bedGraphToBigWig reads them. `t` gets the contigs and description;
// each interval with a value goes to `add` (not into t.intervals), in the file's order.
template <typename AddInterval>
void read_bedgraph(const std::string& path, Track& t, AddInterval&& add) {
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    std::map<std::string, std::int32_t, std::less<>> index;
    std::string_view text;
    std::vector<std::string_view> fields;
    bool top = true;  // no data line read yet
    while (lines.next(text)) {
        const std::string where = path + ": line " + std::to_string(lines.line_no());
        split_whitespace(text, 4, fields);
        // The description: "# key: value" lines among those above the first data line.
        if (top && (add_description_line(text, t.description) || is_header_text(text))) continue;
        top = false;
        if (fields.empty() || is_bed_header_line(fields[0])) continue;
        DNASSM_CHECK(fields.size() == 4, ErrorKind::kInput,
                     where + ": expected chrom, start, end, value");
        TrackInterval iv;
        iv.beg = parse_coordinate(fields[1], where, "start");
        iv.end = parse_coordinate(fields[2], where, "end");
        DNASSM_CHECK(iv.beg < iv.end, ErrorKind::kInput,
                     where + ": empty or reversed interval " + std::string(fields[1]) + "-" +
                         std::string(fields[2]));
        DNASSM_CHECK(iv.end <= kMaxTrackCoordinate, ErrorKind::kInput,
                     where + ": end " + std::string(fields[2]) +
                         " is past 4294967295, the largest position a track holds");
        const std::optional<float> value = parse_track_value(fields[3], where);
        if (!value) continue;
        iv.value = *value;
        auto it = index.find(fields[0]);
        if (it == index.end()) {
            it = index.emplace(std::string(fields[0]), static_cast<std::int32_t>(t.contigs.size()))
                     .first;
            t.contigs.push_back({it->first, 0});
        }
        iv.contig = it->second;
        t.contigs[static_cast<size_t>(iv.contig)].length =
            std::max(t.contigs[static_cast<size_t>(iv.contig)].length, iv.end);
        add(iv);
    }
    lines.check_read(path);
}

}  // namespace

struct TrackFile::Impl {
    std::string path;
    BigWigHandle bigwig{nullptr, bwClose};
    std::vector<Contig> contigs;
    std::vector<std::vector<HeldInterval>> bedgraph;  // per contig, sorted by start
    // bedGraph, per contig whose intervals overlap: the largest end among intervals 0..i, so a
    // binary search finds the first one that can reach a position. Empty where none overlap (a
    // track as dnassm writes it): the ends themselves are then in order.
    std::vector<std::vector<std::uint32_t>> reach;
    FileAttributes description;

    std::int32_t find(const std::string& contig) const {
        const auto it = std::find_if(contigs.begin(), contigs.end(),
                                     [&](const Contig& c) { return c.name == contig; });
        return it == contigs.end() ? -1 : static_cast<std::int32_t>(it - contigs.begin());
    }
};

TrackFile::TrackFile(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    if (is_bigwig(path)) {
        impl_->bigwig = open_bigwig(path);
        const bigWigFile_t* fp = impl_->bigwig.get();
        for (std::int64_t i = 0; i < fp->cl->nKeys; ++i)
            impl_->contigs.push_back(
                {bigwig_contig(fp, i, path), static_cast<std::int64_t>(fp->cl->len[i])});
        return;
    }
    if (!is_bedgraph(path)) throw_not_a_track(path);
    Track t;
    auto& held = impl_->bedgraph;
    read_bedgraph(path, t, [&](const TrackInterval& iv) {
        if (held.size() <= static_cast<size_t>(iv.contig)) held.resize(t.contigs.size());
        held[static_cast<size_t>(iv.contig)].push_back(
            {static_cast<std::uint32_t>(iv.beg), static_cast<std::uint32_t>(iv.end), iv.value});
    });
    impl_->contigs = std::move(t.contigs);
    impl_->description = std::move(t.description);
    held.resize(impl_->contigs.size());
    const auto by_start = [](const HeldInterval& a, const HeldInterval& b) {
        return a.beg < b.beg;
    };
    for (auto& ivs : held) {
        ivs.shrink_to_fit();
        if (!std::is_sorted(ivs.begin(), ivs.end(), by_start))
            std::stable_sort(ivs.begin(), ivs.end(), by_start);
        auto& reach = impl_->reach.emplace_back();
        const bool overlap =
            std::adjacent_find(ivs.begin(), ivs.end(), [](const auto& a, const auto& b) {
                return b.beg < a.end;
            }) != ivs.end();
        if (!overlap) continue;
        reach.reserve(ivs.size());
        for (const auto& iv : ivs)
            reach.push_back(std::max(reach.empty() ? 0 : reach.back(), iv.end));
    }
}

TrackFile::~TrackFile() = default;

const std::vector<Contig>& TrackFile::contigs() const { return impl_->contigs; }

const FileAttributes& TrackFile::description() const { return impl_->description; }

bool TrackFile::has_contig(const std::string& contig) const { return impl_->find(contig) >= 0; }

bool TrackFile::held_in_memory() const { return !impl_->bigwig; }

std::unique_ptr<TrackFile::Cursor> TrackFile::intervals(const std::string& contig,
                                                        std::int64_t beg,
                                                        std::int64_t end) const {
    const std::int32_t tid = impl_->find(contig);
    DNASSM_CHECK(tid >= 0, ErrorKind::kInput, impl_->path + ": no contig " + contig);
    const std::int64_t length = impl_->contigs[static_cast<size_t>(tid)].length;
    beg = std::clamp<std::int64_t>(beg, 0, length);
    end = end < 0 ? length : std::clamp<std::int64_t>(end, beg, length);
    if (impl_->bigwig)
        return std::make_unique<BigWigCursor>(impl_->bigwig.get(), tid,
                                              static_cast<std::uint32_t>(beg),
                                              static_cast<std::uint32_t>(end), impl_->path);
    const auto& ivs = impl_->bedgraph[static_cast<size_t>(tid)];
    const auto& reach = impl_->reach[static_cast<size_t>(tid)];
    // From the first interval that reaches past beg to the last that starts before end; those
    // in between that end before beg (overlapped by a longer one) are passed over by the caller's
    // clipping, as a bigWig query returns what its blocks hold.
    const auto first = static_cast<size_t>(
        reach.empty()
            ? std::upper_bound(ivs.begin(), ivs.end(), beg,
                               [](std::int64_t b, const HeldInterval& iv) { return b < iv.end; }) -
                  ivs.begin()
            : std::upper_bound(reach.begin(), reach.end(), beg) - reach.begin());
    const auto last = static_cast<size_t>(
        std::lower_bound(ivs.begin() + static_cast<std::ptrdiff_t>(first), ivs.end(), end,
                         [](const HeldInterval& iv, std::int64_t e) { return iv.beg < e; }) -
        ivs.begin());
    return std::make_unique<SpanCursor>(tid, std::span(ivs).subspan(first, last - first));
}

std::vector<TrackBin> TrackFile::summary(const std::string& contig,
                                         std::int64_t beg,
                                         std::int64_t end,
                                         int bins) const {
    DNASSM_CHECK(bins >= 1 && beg < end, ErrorKind::kInternal, "summary of an empty range");
    std::vector<TrackBin> out(static_cast<size_t>(bins));
    const std::int32_t tid = impl_->find(contig);
    if (tid < 0) return out;
    const std::int64_t length = impl_->contigs[static_cast<size_t>(tid)].length;
    if (bigWigFile_t* fp = impl_->bigwig.get()) {
        if (beg >= length) return out;
        const auto stat = [&](bwStatsType type) {
            std::unique_ptr<double, void (*)(void*)> v(
                bwStats(fp, fp->cl->chrom[tid], static_cast<std::uint32_t>(beg),
                        static_cast<std::uint32_t>(std::min<std::int64_t>(end, UINT32_MAX)),
                        static_cast<std::uint32_t>(bins), type),
                std::free);
            DNASSM_CHECK(v, ErrorKind::kInput, impl_->path + ": cannot summarise " + contig);
            return v;
        };
        const auto lo = stat(bwStatsType::min), mean = stat(bwStatsType::mean),
                   hi = stat(bwStatsType::max);
        for (size_t i = 0; i < out.size(); ++i)
            if (!std::isnan(mean.get()[i]))
                out[i] = {static_cast<float>(lo.get()[i]), static_cast<float>(mean.get()[i]),
                          static_cast<float>(hi.get()[i]), true};
        return out;
    }
    // bedGraph: each interval adds its bases to the bins it overlaps.
    std::vector<std::int64_t> edge(static_cast<size_t>(bins) + 1);
    for (int i = 0; i <= bins; ++i) edge[static_cast<size_t>(i)] = beg + (end - beg) * i / bins;
    std::vector<double> sum(static_cast<size_t>(bins), 0.0);
    std::vector<std::int64_t> count(static_cast<size_t>(bins), 0);
    TrackInterval iv;
    for (auto cursor = intervals(contig, beg, end); cursor->next(iv);) {
        const std::int64_t a = std::max(iv.beg, beg), b = std::min(iv.end, end);
        if (a >= b) continue;
        auto i =
            static_cast<size_t>(std::upper_bound(edge.begin(), edge.end(), a) - edge.begin()) - 1;
        for (; i < static_cast<size_t>(bins) && edge[i] < b; ++i) {
            const std::int64_t k = std::min(b, edge[i + 1]) - std::max(a, edge[i]);
            if (k <= 0) continue;
            TrackBin& bin = out[i];
            bin.min = bin.valid ? std::min(bin.min, iv.value) : iv.value;
            bin.max = bin.valid ? std::max(bin.max, iv.value) : iv.value;
            bin.valid = true;
            sum[i] += static_cast<double>(iv.value) * static_cast<double>(k);
            count[i] += k;
        }
    }
    for (size_t i = 0; i < out.size(); ++i)
        if (count[i]) out[i].mean = static_cast<float>(sum[i] / static_cast<double>(count[i]));
    return out;
}

std::vector<float> TrackFile::values(const std::string& contig,
                                     std::int64_t beg,
                                     std::int64_t end) const {
    std::vector<float> out(static_cast<size_t>(end - beg), std::numeric_limits<float>::quiet_NaN());
    if (!has_contig(contig)) return out;
    TrackInterval iv;
    for (auto cursor = intervals(contig, beg, end); cursor->next(iv);)
        for (std::int64_t p = std::max(iv.beg, beg); p < std::min(iv.end, end); ++p)
            out[static_cast<size_t>(p - beg)] = iv.value;
    return out;
}

FileAttributes read_track_description(const std::string& path) {
    if (is_bigwig(path)) {
        (void)open_bigwig(path);  // a bigWig has none, but it must be one
        return {};
    }
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    FileAttributes d;
    std::string_view text;
    while (lines.next(text) && (add_description_line(text, d) || is_header_text(text))) {
    }
    lines.check_read(path);
    return d;
}

Track read_track(const std::string& path) {
    if (is_bedgraph(path)) {
        Track t;
        read_bedgraph(path, t, [&](const TrackInterval& iv) { t.intervals.push_back(iv); });
        return t;
    }
    if (is_bigwig(path)) {
        const TrackFile f(path);
        Track t;
        t.contigs = f.contigs();
        TrackInterval iv;
        for (const Contig& c : t.contigs)
            for (auto cursor = f.intervals(c.name); cursor->next(iv);) t.intervals.push_back(iv);
        return t;
    }
    throw_not_a_track(path);
}

}  // namespace dnassm
