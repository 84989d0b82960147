#include "dnassm/io/region.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include <htslib/hts.h>

#include "dnassm/error.h"
#include "dnassm/io/contig_hint.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/text.h"

namespace dnassm {

std::string Region::label() const {
    if (unplaced()) return "*";
    return contig + ":" + std::to_string(beg + 1) + "-" + std::to_string(end);
}

namespace {

struct ContigIndex {
    const std::vector<Contig>* contigs;
    std::unordered_map<std::string, int> ids;
};

int lookup_contig(void* data, const char* name) {
    auto* index = static_cast<ContigIndex*>(data);
    auto it = index->ids.find(name);
    return it == index->ids.end() ? -1 : it->second;
}

ContigIndex make_index(const std::vector<Contig>& contigs) {
    ContigIndex index{&contigs, {}};
    for (size_t i = 0; i < contigs.size(); ++i)
        index.ids.emplace(contigs[i].name, static_cast<int>(i));
    return index;
}

void check_range(const Region& r, const Contig& c, const std::string& where) {
    DNASSM_CHECK(r.beg >= 0, ErrorKind::kInput, where + ": starts before the contig's first base");
    // Past the end first: "chr1:5000" on a 3 kb contig runs to the end, before its start.
    DNASSM_CHECK(r.beg < c.length, ErrorKind::kInput,
                 where + ": starts beyond the end of " + c.name + " (length " +
                     std::to_string(c.length) + ")");
    DNASSM_CHECK(r.beg < r.end, ErrorKind::kInput, where + ": empty or reversed interval");
    DNASSM_CHECK(r.end <= c.length, ErrorKind::kInput,
                 where + ": ends beyond the end of " + c.name + " (length " +
                     std::to_string(c.length) + ")");
}

// r.tid from a lookup (-1: unknown), then the checks every interval from a file gets.
void check_resolved(const Region& r, const std::vector<Contig>& contigs, const std::string& where) {
    DNASSM_CHECK(
        r.tid >= 0, ErrorKind::kInput,
        where + ": unknown contig '" + r.contig + "'" + unknown_contig_hint_for(r.contig, contigs));
    check_range(r, contigs[static_cast<size_t>(r.tid)], where + " (" + r.label() + ")");
}

// Whether the coordinates after a region's last ':' read as "beg-end" with end < beg
// (hts_parse_region refuses those without saying why).
bool reversed_range(std::string_view coords) {
    std::string digits;
    for (const char ch : coords)
        if (ch != ',') digits += ch;
    long long beg = 0, end = 0;
    const char* p = digits.data();
    const char* stop = p + digits.size();
    auto [after_beg, e1] = std::from_chars(p, stop, beg);
    if (e1 != std::errc() || after_beg == stop || *after_beg != '-') return false;
    auto [after_end, e2] = std::from_chars(after_beg + 1, stop, end);
    return e2 == std::errc() && after_end == stop && end < beg;
}

}  // namespace

bool is_bed_header_line(std::string_view line) {
    if (line.empty() || line[0] == '#') return true;
    for (const std::string_view word : {std::string_view("track"), std::string_view("browser")})
        if (line.substr(0, word.size()) == word &&
            (line.size() == word.size() ||
             std::isspace(static_cast<unsigned char>(line[word.size()]))))
            return true;
    return false;
}

std::int64_t parse_coordinate(std::string_view text, const std::string& where, const char* what) {
    std::int64_t v = -1;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    DNASSM_CHECK(
        ec == std::errc() && p == text.data() + text.size() && v >= 0, ErrorKind::kInput,
        where + ": " + what + " '" + std::string(text) + "' is not a non-negative integer");
    return v;
}

void resolve_region(Region& r, const std::vector<Contig>& contigs, const std::string& where) {
    const auto it = std::find_if(contigs.begin(), contigs.end(),
                                 [&](const Contig& c) { return c.name == r.contig; });
    r.tid = it == contigs.end() ? -1 : static_cast<int>(it - contigs.begin());
    check_resolved(r, contigs, where);
}

std::vector<Region> parse_regions(const std::vector<std::string>& specs,
                                  const std::vector<Contig>& contigs,
                                  RegionsOf of) {
    ContigIndex index = make_index(contigs);
    std::vector<Region> out;
    for (const auto& spec : specs) {
        const std::string where = "region '" + spec + "'";
        DNASSM_CHECK(!spec.empty(), ErrorKind::kUsage, "empty region string");
        // The SAM spec keeps '*' out of contig names (it is RNAME's "no contig").
        if (spec == "*" && of == RegionsOf::kReads) {
            Region r;
            r.contig = "*";
            r.tid = Region::kUnplacedTid;
            out.push_back(r);
            continue;
        }
        int tid = -1;
        hts_pos_t beg = 0, end = 0;
        const char* rest = hts_parse_region(spec.c_str(), &tid, &beg, &end, lookup_contig, &index,
                                            HTS_PARSE_THOUSANDS_SEP);
        if (!rest || tid < 0) {
            // Tell an unknown contig apart from a malformed coordinate part: the name is what
            // braces hold ("{HLA-A*01:01}:1-10"), else the spec before its last ':'.
            std::string name = spec, coords;
            const auto close = spec.find('}');
            if (spec.front() == '{' && close != std::string::npos) {
                name = spec.substr(1, close - 1);
                if (spec.compare(close + 1, 1, ":") == 0) coords = spec.substr(close + 2);
            } else if (const auto colon = spec.rfind(':');
                       colon != std::string::npos && lookup_contig(&index, spec.c_str()) < 0) {
                name = spec.substr(0, colon);
                coords = spec.substr(colon + 1);
            }
            // samtools' two special regions, when no contig is so named.
            if (spec == "*")
                throw Error(ErrorKind::kInput,
                            where +
                                ": samtools' unplaced reads, which only a SAM/BAM/CRAM "
                                "input has");
            if (spec == ".")
                throw Error(ErrorKind::kInput,
                            where + ": samtools' 'everything'; here that is giving no region");
            if (lookup_contig(&index, name.c_str()) < 0)
                throw Error(ErrorKind::kInput, where + ": unknown contig '" + name + "'" +
                                                   unknown_contig_hint_for(name, contigs));
            if (reversed_range(coords))
                throw Error(ErrorKind::kInput, where + ": end is before start");
            throw Error(ErrorKind::kInput, where +
                                               ": cannot parse coordinates (expected chr, "
                                               "chr:beg or chr:beg-end, 1-based)");
        }
        DNASSM_CHECK(*rest == '\0', ErrorKind::kInput, where + ": trailing characters");
        const Contig& c = contigs[static_cast<size_t>(tid)];
        Region r;
        r.contig = c.name;
        r.tid = tid;
        r.beg = beg;
        r.end = end >= HTS_POS_MAX ? c.length : end;
        if (beg > end && end < HTS_POS_MAX)
            throw Error(ErrorKind::kInput, where + ": end is before start");
        DNASSM_CHECK(beg >= 0, ErrorKind::kInput,
                     where + ": positions are 1-based; the first base is 1, not 0");
        check_range(r, c, where);
        out.push_back(r);
    }
    return out;
}

namespace {

// Up to `n` fields of a BED line. Tabs separate them, so a name may hold spaces; a line without
// a tab is split on runs of spaces, as UCSC reads whitespace-delimited BED (and samtools -L).
std::vector<std::string_view> bed_fields(std::string_view s, size_t n) {
    std::vector<std::string_view> f;
    if (s.find('\t') == std::string_view::npos) {
        split_whitespace(s, n, f);
        return f;
    }
    size_t pos = 0;
    while (f.size() < n) {
        const size_t tab = s.find('\t', pos);
        f.push_back(s.substr(pos, tab == std::string_view::npos ? s.npos : tab - pos));
        if (tab == std::string_view::npos) break;
        pos = tab + 1;
    }
    return f;
}

// A BED12 list column (blockSizes, blockStarts): `count` comma-separated integers, a trailing
// comma allowed (UCSC writes one).
std::vector<std::int64_t> bed_list(std::string_view text,
                                   size_t count,
                                   const std::string& where,
                                   const char* what) {
    if (text.ends_with(',')) text.remove_suffix(1);
    std::vector<std::int64_t> out;
    for (size_t pos = 0; pos <= text.size();) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        out.push_back(parse_coordinate(text.substr(pos, comma - pos), where, what));
        pos = comma + 1;
    }
    DNASSM_CHECK(out.size() == count, ErrorKind::kInput,
                 where + ": " + what + " lists " + std::to_string(out.size()) +
                     " values, blockCount says " + std::to_string(count));
    return out;
}

// Columns 7-8 and 10-12 of a BED line (f: its fields) for a region already checked.
GeneModel bed_gene_model(const std::vector<std::string_view>& f,
                         const Region& r,
                         const std::string& where) {
    GeneModel m{{}, r.beg, r.end};
    if (f.size() >= 8) {
        m.thick_beg = parse_coordinate(f[6], where, "thickStart");
        m.thick_end = parse_coordinate(f[7], where, "thickEnd");
        DNASSM_CHECK(r.beg <= m.thick_beg && m.thick_beg <= m.thick_end && m.thick_end <= r.end,
                     ErrorKind::kInput,
                     where + ": thickStart-thickEnd " + std::string(f[6]) + "-" +
                         std::string(f[7]) + " is not within start-end");
    }
    if (f.size() < 10) return m;
    DNASSM_CHECK(f.size() >= 12, ErrorKind::kInput,
                 where + ": blockCount without blockSizes and blockStarts (BED12 columns 10-12)");
    const std::int64_t count = parse_coordinate(f[9], where, "blockCount");
    DNASSM_CHECK(count >= 1, ErrorKind::kInput, where + ": blockCount is 0");
    const auto n = static_cast<size_t>(count);
    const auto sizes = bed_list(f[10], n, where, "blockSizes");
    const auto starts = bed_list(f[11], n, where, "blockStarts");
    std::int64_t last_end = r.beg;
    for (size_t i = 0; i < n; ++i) {
        const std::string block = "block " + std::to_string(i + 1);
        DNASSM_CHECK(starts[i] <= r.length() && sizes[i] <= r.length() - starts[i],
                     ErrorKind::kInput, where + ": " + block + " ends past end");
        const std::int64_t beg = r.beg + starts[i], end = beg + sizes[i];
        DNASSM_CHECK(i > 0 || starts[i] == 0, ErrorKind::kInput,
                     where + ": the first block starts at " + std::to_string(starts[i]) +
                         ", not 0 (blockStarts are relative to start)");
        DNASSM_CHECK(beg >= last_end, ErrorKind::kInput,
                     where + ": " + block + " overlaps or comes before the one before it");
        DNASSM_CHECK(i + 1 < n || end == r.end, ErrorKind::kInput,
                     where + ": the last block ends at " + std::to_string(end) + ", not at end " +
                         std::to_string(r.end));
        if (sizes[i] > 0) m.exons.emplace_back(beg, end);
        last_end = end;
    }
    return m;
}

}  // namespace

std::vector<FeaturePiece> feature_pieces(const Region& f, const GeneModel* model) {
    if (!model) return {{f.beg, f.end, true}};
    std::vector<std::pair<std::int64_t, std::int64_t>> exons = model->exons;
    if (exons.empty()) exons.emplace_back(f.beg, f.end);
    std::vector<FeaturePiece> out;
    const std::int64_t tb = model->thick_beg, te = model->thick_end;
    for (const auto& [b, e] : exons) {
        // [b, tb) thin, [tb, te) thick, [te, e) thin, each where it is not empty.
        const std::int64_t cut0 = std::clamp(tb, b, e), cut1 = std::clamp(te, cut0, e);
        if (tb == te) {
            out.push_back({b, e, false});
            continue;
        }
        if (b < cut0) out.push_back({b, cut0, false});
        if (cut0 < cut1) out.push_back({cut0, cut1, true});
        if (cut1 < e) out.push_back({cut1, e, false});
    }
    return out;
}

std::vector<Region> read_bed(const std::string& path,
                             const std::vector<Contig>& contigs,
                             std::vector<GeneModel>* models,
                             std::map<std::string, std::string>* aliases) {
    ContigAliases contig_aliases(contigs);
    ContigIndex index = make_index(contigs);
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kResource, path + ": cannot open BED file");
    std::vector<Region> out;
    if (models) models->clear();
    std::string_view s;
    while (lines.next(s)) {
        const std::int64_t lineno = lines.line_no();
        if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
        if (is_bed_header_line(s)) continue;
        const std::vector<std::string_view> f = bed_fields(s, models ? 12 : 6);
        const std::string where = path + ":" + std::to_string(lineno);
        DNASSM_CHECK(
            f.size() >= 3, ErrorKind::kInput,
            where + ": expected at least 3 columns (chrom, start, end), separated by tabs");
        Region r;
        r.contig = std::string(f[0]);
        r.beg = parse_coordinate(f[1], where, "start");
        r.end = parse_coordinate(f[2], where, "end");
        if (f.size() > 3) r.name = std::string(f[3]);
        if (f.size() > 5) {
            const std::string_view strand = f[5].substr(0, f[5].find('\t'));
            if (strand == "+" || strand == "-") r.strand = strand[0];
        }
        r.tid = lookup_contig(&index, r.contig.c_str());
        if (r.tid < 0 && aliases) {
            contig_aliases.rename(r.contig, *aliases);
            r.tid = lookup_contig(&index, r.contig.c_str());
        }
        check_resolved(r, contigs, where);
        if (models) models->push_back(bed_gene_model(f, r, where));
        out.push_back(std::move(r));
    }
    lines.check_read(path);
    DNASSM_CHECK(!out.empty(), ErrorKind::kInput, path + ": no regions in BED file");
    return out;
}

std::vector<Region> whole_contigs(const std::vector<Contig>& contigs) {
    std::vector<Region> out;
    for (size_t i = 0; i < contigs.size(); ++i)
        out.push_back(Region{contigs[i].name, 0, contigs[i].length, static_cast<int>(i), {}});
    return out;
}

std::vector<Region> sort_and_merge(std::vector<Region> regions) {
    std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
        return a.tid != b.tid ? a.tid < b.tid : a.beg < b.beg;
    });
    std::vector<Region> out;
    for (auto& r : regions) {
        if (!out.empty() && out.back().tid == r.tid && r.beg <= out.back().end) {
            out.back().end = std::max(out.back().end, r.end);
            out.back().name.clear();
        } else {
            out.push_back(std::move(r));
        }
    }
    return out;
}

RegionIndex::RegionIndex(const std::vector<Region>& regions) {
    for (const Region& r : sort_and_merge(regions)) spans_[r.contig].emplace_back(r.beg, r.end);
}

bool RegionIndex::overlaps(const std::string& contig, std::int64_t beg, std::int64_t end) const {
    const auto it = spans_.find(contig);
    if (it == spans_.end()) return false;
    end = std::max(end, beg + 1);
    const auto& spans = it->second;
    // The last span starting before `end` is the only one that can reach past `beg`.
    auto after = std::lower_bound(spans.begin(), spans.end(), end,
                                  [](const auto& span, std::int64_t e) { return span.first < e; });
    return after != spans.begin() && std::prev(after)->second > beg;
}

}  // namespace dnassm
