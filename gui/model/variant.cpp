#include "variant.h"

#include <cctype>

#include "dnassm/error.h"

#include "locus.h"

namespace dnassm::gui {

namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool is_base(char c) { return c == 'A' || c == 'C' || c == 'G' || c == 'T'; }

}  // namespace

std::string Snv::label() const {
    return contig + ":" + with_commas(pos + 1) + " " + ref + ">" + alt;
}

Snv parse_snv(const std::string& text) {
    const std::string s = trimmed(text);
    const std::string form = "variant '" + text + "': expected chr:pos:REF>ALT or chr:pos REF>ALT";
    const auto gt = s.find('>');
    DNASSM_CHECK(gt != std::string::npos && gt >= 1, ErrorKind::kUsage,
                 form + " (e.g. NC_001416.1:1000 A>G)");
    // The alleles: the letters either side of '>', back to the ':' or space before REF.
    const auto sep = s.find_last_of(": ", gt - 1);
    DNASSM_CHECK(sep != std::string::npos && sep > 0, ErrorKind::kUsage, form);
    std::string ref = s.substr(sep + 1, gt - sep - 1), alt = trimmed(s.substr(gt + 1));
    for (auto* allele : {&ref, &alt})
        for (char& c : *allele) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    DNASSM_CHECK(ref.size() == 1 && alt.size() == 1, ErrorKind::kUsage,
                 "variant '" + text +
                     "': only single-base substitutions (an indel would shift the positions "
                     "the tracks are drawn at)");
    DNASSM_CHECK(is_base(ref[0]) && is_base(alt[0]), ErrorKind::kUsage,
                 "variant '" + text + "': REF and ALT must be A, C, G or T");
    DNASSM_CHECK(ref != alt, ErrorKind::kUsage, "variant '" + text + "': ALT equals REF");
    const std::string where = trimmed(s.substr(0, sep));
    const auto colon = where.rfind(':');
    DNASSM_CHECK(colon != std::string::npos && colon > 0, ErrorKind::kUsage, form);
    std::string digits;
    for (const char c : where.substr(colon + 1))
        if (c != ',') digits += c;
    DNASSM_CHECK(!digits.empty() && digits.size() <= 12 &&
                     digits.find_first_not_of("0123456789") == std::string::npos,
                 ErrorKind::kUsage, "variant '" + text + "': the position must be a number");
    const std::int64_t pos = std::stoll(digits);
    DNASSM_CHECK(pos >= 1, ErrorKind::kUsage,
                 "variant '" + text + "': positions are 1-based; the first base is 1");
    return {where.substr(0, colon), pos - 1, ref[0], alt[0]};
}

}  // namespace dnassm::gui
