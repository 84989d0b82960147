// GFF3 and GTF annotations read as one feature per gene (gff.h). Lines are folded into groups as
// they come (a GENCODE GTF has millions of lines and tens of thousands of genes): a GFF3 line
// joins the group of its ID and of its Parent, a GTF line the group of its gene_id; once the file
// is read, each group with a parent is folded into its top-level ancestor.
#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "dnassm/error.h"
#include "dnassm/io/contig_hint.h"
#include "dnassm/io/gff.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/writers.h"
#include "dnassm/text.h"

namespace dnassm {

namespace {

constexpr const char* kColumns =
    "expected 9 tab-separated columns (seqid, source, type, start, end, score, strand, phase, "
    "attributes)";

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> tab_fields(std::string_view s) {
    std::vector<std::string_view> f;
    for (size_t pos = 0;;) {
        const size_t tab = s.find('\t', pos);
        f.push_back(s.substr(pos, tab == s.npos ? s.npos : tab - pos));
        if (tab == s.npos) return f;
        pos = tab + 1;
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// GFF3 escapes ';', '=', ',', '&', tabs and the like in values as %XX. A control character (a
// tab, a newline) stays escaped: a name goes into TSV columns and HDF5 dataset names.
std::string percent_decoded(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        const int code =
            v[i] == '%' && i + 2 < v.size() && hex_digit(v[i + 1]) >= 0 && hex_digit(v[i + 2]) >= 0
                ? hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2])
                : -1;
        if (code >= 0x20 && code != 0x7f) {
            out.push_back(static_cast<char>(code));
            i += 2;
        } else {
            out.push_back(v[i]);
        }
    }
    return out;
}

// A GFF3 column 9 value (`key=value;key=value`); a Parent list (a,b) gives its first.
std::optional<std::string> gff3_attribute(std::string_view attrs, std::string_view key) {
    for (size_t pos = 0; pos <= attrs.size();) {
        const size_t semi = std::min(attrs.find(';', pos), attrs.size());
        const std::string_view pair = trimmed(attrs.substr(pos, semi - pos));
        const size_t eq = pair.find('=');
        if (eq != pair.npos && pair.substr(0, eq) == key) {
            const std::string_view v = pair.substr(eq + 1);
            return percent_decoded(v.substr(0, v.find(',')));
        }
        pos = semi + 1;
    }
    return std::nullopt;
}

// A GTF column 9 value (`key "value"; key value;`).
std::optional<std::string> gtf_attribute(std::string_view attrs, std::string_view key) {
    size_t i = 0;
    auto skip_spaces = [&] {
        while (i < attrs.size() && (attrs[i] == ' ' || attrs[i] == '\t')) ++i;
    };
    while (i < attrs.size()) {
        skip_spaces();
        const size_t k0 = i;
        while (i < attrs.size() && attrs[i] != ' ' && attrs[i] != ';') ++i;
        const std::string_view k = attrs.substr(k0, i - k0);
        skip_spaces();
        std::string_view value;
        if (i < attrs.size() && attrs[i] == '"') {
            const size_t close = attrs.find('"', i + 1);
            value = attrs.substr(i + 1, (close == attrs.npos ? attrs.size() : close) - i - 1);
            i = close == attrs.npos ? attrs.size() : close + 1;
        } else {
            const size_t v0 = i;
            while (i < attrs.size() && attrs[i] != ';') ++i;
            value = trimmed(attrs.substr(v0, i - v0));
        }
        if (k == key) return std::string(value);
        const size_t semi = attrs.find(';', i);
        i = semi == attrs.npos ? attrs.size() : semi + 1;
    }
    return std::nullopt;
}

// GTF writes `key "value"` (a space after the key), GFF3 `key=value`.
bool is_gtf_attributes(std::string_view attrs) {
    const size_t eq = attrs.find('='), space = attrs.find_first_of(" \"");
    return eq == attrs.npos || (space != attrs.npos && space < eq);
}

bool spans_whole_sequence(std::string_view type) {
    constexpr std::array<std::string_view, 9> kTypes = {
        "region", "chromosome",     "contig",   "scaffold",         "supercontig",
        "source", "databank_entry", "assembly", "sequence_assembly"};
    return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

// A gene's parts drawn as its exons (GeneModel): exons, and where a file has no exon lines (a
// bacterial gene's CDS, a GFF3 of CDSs and UTRs), its CDSs and UTRs. Start and stop codons mark the
// coding part (a GTF's CDS leaves the stop codon out).
bool is_exon_part(std::string_view type) {
    constexpr std::array<std::string_view, 9> kTypes = {
        "exon", "CDS",  "five_prime_UTR", "three_prime_UTR", "UTR",
        "5UTR", "3UTR", "noncoding_exon", "pseudogenic_exon"};
    return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}
bool is_coding_part(std::string_view type) {
    return type == "CDS" || type == "start_codon" || type == "stop_codon";
}

struct Group {
    std::string contig, type, name;
    std::int64_t beg = 0, end = 0, line = 0;  // line: the first that touched it
    char strand = '.';
    bool own = false;    // a line of the file is this group's feature (has its ID)
    std::string parent;  // that line's Parent: the group is part of it
    bool spanned = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> exons;  // as read: unsorted, may overlap
    bool coding = false;  // has a coding part: [coding_beg, coding_end)
    std::int64_t coding_beg = 0, coding_end = 0;

    void extend(const std::string& c, std::int64_t b, std::int64_t e, char s, std::int64_t at) {
        if (!spanned) {
            contig = c;
            beg = b;
            end = e;
            strand = s;
            line = at;
            spanned = true;
        } else if (c == contig) {  // parts on another contig (trans-splicing) are left out
            beg = std::min(beg, b);
            end = std::max(end, e);
        }
        line = std::min(line, at);
    }
    void add_coding(std::int64_t b, std::int64_t e) {
        coding_beg = coding ? std::min(coding_beg, b) : b;
        coding_end = coding ? std::max(coding_end, e) : e;
        coding = true;
    }
    // A line of type `part_type` over [b, e) of contig `c` that is a part of this group (on its
    // contig).
    void add_part(const std::string& c,
                  std::string_view part_type,
                  std::int64_t b,
                  std::int64_t e) {
        if (c != contig) return;  // as extend() leaves it out of the span
        if (is_exon_part(part_type)) exons.emplace_back(b, e);
        if (is_coding_part(part_type)) add_coding(b, e);
    }
    // `g`'s parts, when on this group's contig (as extend() keeps its span).
    void take_parts(Group& g) {
        if (g.contig != contig) return;
        exons.insert(exons.end(), g.exons.begin(), g.exons.end());
        if (g.coding) add_coding(g.coding_beg, g.coding_end);
        g.exons = {};
    }
    // The collapsed gene model (every transcript's exons in one row) a browser draws.
    GeneModel model() {
        GeneModel m;
        std::sort(exons.begin(), exons.end());
        for (const auto& x : exons)
            if (!m.exons.empty() && x.first <= m.exons.back().second)
                m.exons.back().second = std::max(m.exons.back().second, x.second);
            else
                m.exons.push_back(x);
        if (coding) {
            m.thick_beg = coding_beg;
            m.thick_end = coding_end;
        } else if (m.exons.empty()) {  // a gene's line alone: one box, as a BED line is drawn
            m.thick_beg = beg;
            m.thick_end = end;
        } else {  // exons but no CDS: a non-coding RNA, all thin
            m.thick_beg = m.thick_end = beg;
        }
        return m;
    }
};

class Groups {
  public:
    Group& operator[](const std::string& key) {
        const auto [it, added] = index_.emplace(key, groups_.size());
        if (added) groups_.emplace_back();
        return groups_[it->second];
    }
    std::vector<Group>& all() { return groups_; }
    size_t find(const std::string& key) const {
        const auto it = index_.find(key);
        return it == index_.end() ? groups_.size() : it->second;
    }

  private:
    std::unordered_map<std::string, size_t> index_;
    std::vector<Group> groups_;
};

// Folds every group with a parent into its top-level ancestor; returns the top-level ones.
std::vector<Group> top_level(Groups& groups, const std::string& path) {
    std::vector<Group>& all = groups.all();
    std::vector<bool> folded(all.size(), false);
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].parent.empty()) continue;
        size_t root = i;
        for (size_t steps = 0; !all[root].parent.empty(); ++steps) {
            DNASSM_CHECK(steps < all.size(), ErrorKind::kInput,
                         path + ":" + std::to_string(all[i].line) +
                             ": its Parent chain leads back to itself");
            root = groups.find(all[root].parent);  // present: a Parent names a group when read
        }
        Group& g = all[i];
        if (g.spanned) {
            all[root].extend(g.contig, g.beg, g.end, g.strand, g.line);
            all[root].take_parts(g);
        }
        folded[i] = true;
    }
    std::vector<Group> out;
    for (size_t i = 0; i < all.size(); ++i)
        if (!folded[i] && all[i].spanned) out.push_back(std::move(all[i]));
    std::stable_sort(out.begin(), out.end(),
                     [](const Group& a, const Group& b) { return a.line < b.line; });
    return out;
}

}  // namespace

bool looks_like_gff(const std::string& path) {
    if (path == "-") return false;
    // By its name: a malformed GTF (space-separated, extra tabs) then gets the GFF reader's
    // message about its columns, not a BED reader's about its second one.
    const std::string ext = text_extension(path);
    if (ext == ".gff" || ext == ".gff3" || ext == ".gtf") return true;
    try {
        TextLines lines(path);
        std::string_view s;
        for (int n = 0; n < 1000 && lines.next(s); ++n) {
            if (s.starts_with("##gff-version") || s.starts_with("#!genome-build")) return true;
            if (is_blank(s) || s.front() == '#') continue;
            if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
            const auto f = tab_fields(s);
            return (f.size() == 8 || f.size() == 9) && all_digits(f[3]) && all_digits(f[4]) &&
                   !all_digits(f[1]);
        }
    } catch (const Error&) {
    }
    return false;
}

std::vector<GffFeature> read_gff_features(const std::string& path) {
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kResource, path + ": cannot open GFF/GTF file");
    Groups groups;
    std::optional<bool> gtf;  // the dialect, from the first line with attributes
    std::string_view s;
    while (lines.next(s)) {
        if (s.starts_with("##FASTA") || s.starts_with(">")) break;  // GFF3's embedded sequences
        if (is_blank(s) || s.front() == '#') continue;
        if (s.back() == '\r') s.remove_suffix(1);
        const std::int64_t at = lines.line_no();
        const std::string where = path + ":" + std::to_string(at);
        const auto f = tab_fields(s);
        DNASSM_CHECK(
            f.size() == 8 || f.size() == 9, ErrorKind::kInput,
            where + ": " + kColumns +
                (f.size() == 1 ? ", separated by tabs" : ", found " + std::to_string(f.size())));
        DNASSM_CHECK(!f[0].empty(), ErrorKind::kInput, where + ": no seqid (column 1)");
        const std::int64_t start = parse_coordinate(f[3], where, "start");
        const std::int64_t end = parse_coordinate(f[4], where, "end");
        DNASSM_CHECK(start >= 1, ErrorKind::kInput,
                     where + ": start is 0 (GFF and GTF count bases from 1)");
        DNASSM_CHECK(
            end >= start, ErrorKind::kInput,
            where + ": end " + std::to_string(end) + " is before start " + std::to_string(start));
        DNASSM_CHECK(
            f[6].size() == 1 && std::string_view("+-.?").find(f[6][0]) != std::string_view::npos,
            ErrorKind::kInput, where + ": strand '" + std::string(f[6]) + "' is not +, -, . or ?");
        const std::string contig(f[0]), type(f[2]);
        const char strand = f[6][0] == '+' || f[6][0] == '-' ? f[6][0] : '.';
        const std::string_view attrs = f.size() == 9 ? trimmed(f[8]) : std::string_view();
        if (!gtf && !attrs.empty() && attrs != ".") gtf = is_gtf_attributes(attrs);
        auto extend = [&](Group& g) { g.extend(contig, start - 1, end, strand, at); };

        if (gtf.value_or(false)) {
            const auto gene_id = gtf_attribute(attrs, "gene_id");
            DNASSM_CHECK(gene_id && !gene_id->empty(), ErrorKind::kInput,
                         where + ": no gene_id attribute (every GTF line names its gene)");
            Group& g = groups[*gene_id];
            extend(g);
            if (g.name.empty() || (type == "gene" && !g.own)) {
                g.name = gtf_attribute(attrs, "gene_name").value_or(*gene_id);
                g.type = "gene";
            }
            if (type == "gene" && !g.own) {
                g.own = true;
                g.strand = strand;
            }
            g.add_part(contig, type, start - 1, end);
            continue;
        }
        const auto id = gff3_attribute(attrs, "ID");
        const auto parent = gff3_attribute(attrs, "Parent");
        if (parent && !parent->empty()) {
            Group& p = groups[*parent];
            extend(p);
            if (!p.own && p.name.empty()) {  // until (unless) the file gives the parent's line
                p.name = *parent;
                p.type = type;
            }
            if (!id || id->empty())
                p.add_part(contig, type, start - 1, end);  // else its own group's
        }
        if (!id || id->empty()) {
            if (!parent || parent->empty()) {  // a top-level feature without an ID
                Group& g = groups["\n" + std::to_string(at)];
                extend(g);
                g.own = true;
                g.type = type;
                g.name = gff3_attribute(attrs, "Name")
                             .value_or(gff3_attribute(attrs, "gene").value_or(type));
                g.add_part(contig, type, start - 1, end);
            }
            continue;
        }
        Group& g = groups[*id];
        extend(g);
        if (!g.own) {  // its first line (a feature may span several lines with one ID)
            g.own = true;
            g.type = type;
            g.strand = strand;
            g.name = gff3_attribute(attrs, "Name")
                         .value_or(gff3_attribute(attrs, "gene")
                                       .value_or(gff3_attribute(attrs, "locus_tag").value_or(*id)));
            if (parent && *parent != *id) g.parent = parent.value_or("");
        }
        g.add_part(contig, type, start - 1, end);
    }
    lines.check_read(path);

    std::vector<GffFeature> out;
    size_t whole = 0;
    for (Group& g : top_level(groups, path)) {
        if (g.own && spans_whole_sequence(g.type)) {
            ++whole;
            continue;
        }
        GffFeature feature;
        feature.region.contig = std::move(g.contig);
        feature.region.beg = g.beg;
        feature.region.end = g.end;
        feature.region.name = std::move(g.name);
        feature.region.strand = g.strand;
        feature.model = g.model();
        feature.type = std::move(g.type);
        feature.line = g.line;
        out.push_back(std::move(feature));
    }
    DNASSM_CHECK(!out.empty(), ErrorKind::kInput,
                 path + ": no features in GFF/GTF file" +
                     (whole ? " (only " + std::to_string(whole) +
                                  " whole-sequence ones, such as 'region', which are left out)"
                            : std::string()));
    return out;
}

std::vector<Region> read_gff_regions(const std::string& path,
                                     const std::vector<Contig>& contigs,
                                     bool leave_out_unknown,
                                     size_t* left_out,
                                     std::vector<GeneModel>* models,
                                     std::map<std::string, std::string>* aliases) {
    std::unordered_set<std::string_view> known;
    for (const Contig& c : contigs) known.insert(c.name);
    ContigAliases contig_aliases(contigs);
    std::vector<Region> out;
    std::optional<GffFeature> first_unknown;
    size_t unknown = 0;
    if (models) models->clear();
    for (GffFeature& f : read_gff_features(path)) {
        if (aliases && !known.contains(f.region.contig))
            contig_aliases.rename(f.region.contig, *aliases);
        if (leave_out_unknown && !known.contains(f.region.contig)) {
            if (!first_unknown) first_unknown = f;
            ++unknown;
            continue;
        }
        resolve_region(f.region, contigs, path + ":" + std::to_string(f.line));
        out.push_back(std::move(f.region));
        if (models) models->push_back(std::move(f.model));
    }
    if (out.empty() && first_unknown)  // says which contig, and how the names differ
        resolve_region(first_unknown->region, contigs,
                       path + ":" + std::to_string(first_unknown->line));
    if (left_out) *left_out = unknown;
    return out;
}

std::vector<Region> read_region_file(const std::string& path, const std::vector<Contig>& contigs) {
    return looks_like_gff(path) ? read_gff_regions(path, contigs) : read_bed(path, contigs);
}

}  // namespace dnassm
