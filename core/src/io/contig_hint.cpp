#include "dnassm/io/contig_hint.h"

#include <algorithm>
#include <cctype>

#include "dnassm/text.h"

namespace dnassm {

namespace {

constexpr size_t kListed = 5;      // names listed when none looks alike
constexpr size_t kNameWidth = 40;  // a listed name longer than this is cut

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
}

/// A name with the conventions stripped: case, a "chr" prefix, an accession's ".N" version, and
/// the mitochondrion's spellings (chrM, chrMT, M, MT).
std::string convention_free(std::string_view name) {
    std::string s = lower(name);
    if (s.size() > 3 && s.compare(0, 3, "chr") == 0) s.erase(0, 3);
    const size_t dot = s.rfind('.');
    if (dot != std::string::npos && dot > 0 && all_digits(std::string_view(s).substr(dot + 1)) &&
        !all_digits(std::string_view(s).substr(0, dot)))
        s.erase(dot);
    if (s == "m") s = "mt";
    return s;
}

/// The keys a contig answers to: its whole name and, for an NCBI "gi|123|ref|NC_1.1|" header,
/// each accession field in it (not the numeric gi, which would match chromosome numbers).
std::vector<std::string> keys_of(std::string_view name) {
    std::vector<std::string> keys{convention_free(name)};
    if (name.find('|') == std::string_view::npos) return keys;
    for (const auto& field : split(name, '|'))
        if (field.size() > 3 && !all_digits(field)) keys.push_back(convention_free(field));
    return keys;
}

bool alike(std::string_view a, std::string_view b) {
    for (const auto& ka : keys_of(a))
        for (const auto& kb : keys_of(b))
            if (ka == kb) return true;
    return false;
}

std::string quoted(std::string_view name) {
    std::string out = "'";
    out += name.substr(0, kNameWidth);
    if (name.size() > kNameWidth) out += "…";
    out += '\'';
    return out;
}

}  // namespace

std::string unknown_contig_hint(std::string_view name, const std::vector<std::string>& names) {
    std::vector<std::string_view> similar;
    for (const auto& n : names)
        if (similar.size() < kListed && alike(name, n)) similar.push_back(n);
    std::string out = " (";
    if (!similar.empty()) {
        out += "the input has ";
        for (size_t i = 0; i < similar.size(); ++i) out += (i ? " and " : "") + quoted(similar[i]);
        return out + ": contig names must match exactly)";
    }
    if (names.empty()) return " (the input has no contigs)";
    out += "the input's " + std::to_string(names.size()) +
           (names.size() == 1 ? " contig: " : " contigs: ");
    for (size_t i = 0; i < names.size() && i < kListed; ++i)
        out += (i ? ", " : "") + quoted(names[i]);
    if (names.size() > kListed) out += ", …";
    return out + ")";
}

std::string unknown_contig_hint_for(std::string_view name, const std::vector<Contig>& contigs) {
    std::vector<std::string> names;
    names.reserve(contigs.size());
    for (const auto& c : contigs) names.push_back(c.name);
    return unknown_contig_hint(name, names);
}

std::string contig_alias(std::string_view name, const std::vector<std::string>& names) {
    std::string found;
    for (const auto& n : names)
        if (n != name && alike(name, n)) {
            if (!found.empty()) return {};
            found = n;
        }
    return found;
}

ContigAliases::ContigAliases(const std::vector<Contig>& contigs) {
    names_.reserve(contigs.size());
    for (const auto& c : contigs) names_.push_back(c.name);
}

const std::string& ContigAliases::of(const std::string& name) {
    auto it = tried_.find(name);
    if (it == tried_.end()) it = tried_.emplace(name, contig_alias(name, names_)).first;
    return it->second;
}

void ContigAliases::rename(std::string& contig, std::map<std::string, std::string>& renamed) {
    const std::string& alias = of(contig);
    if (alias.empty()) return;
    renamed[contig] = alias;
    contig = alias;
}

}  // namespace dnassm
