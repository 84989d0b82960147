#include "dnassm/io/variant_spec.h"

#include <cctype>

#include "dnassm/error.h"
#include "dnassm/text.h"

namespace dnassm {

namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Upper-cased; empty when it is not a run of A/C/G/T/N.
std::string bases(std::string allele) {
    for (char& c : allele) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (c != 'A' && c != 'C' && c != 'G' && c != 'T' && c != 'N') return {};
    }
    return allele;
}

}  // namespace

VariantSpec parse_variant_spec(const std::string& text) {
    std::string s = trimmed(text);
    const std::string named = "variant '" + text + "': ";
    const std::string form = named + "expected chr:pos:REF>ALT, chr:pos:REF:ALT or chr:pos REF>ALT";
    // chr:pos:REF:ALT, as many variant lists write it, is chr:pos:REF>ALT.
    if (s.find('>') == std::string::npos) {
        const auto c2 = s.rfind(':');
        const auto c1 = c2 == std::string::npos || c2 == 0 ? c2 : s.rfind(':', c2 - 1);
        if (c1 != std::string::npos && c1 < c2 && !bases(s.substr(c1 + 1, c2 - c1 - 1)).empty())
            s[c2] = '>';
    }
    const auto gt = s.find('>');
    DNASSM_CHECK(gt != std::string::npos && gt >= 1, ErrorKind::kUsage,
                 form + " (e.g. chr1:1000:A>G)");
    // REF runs back from '>' to the ':' or space before it.
    const auto sep = s.find_last_of(": ", gt - 1);
    DNASSM_CHECK(sep != std::string::npos && sep > 0, ErrorKind::kUsage, form);
    VariantSpec v;
    v.ref = bases(s.substr(sep + 1, gt - sep - 1));
    for (const std::string& alt : split(trimmed(s.substr(gt + 1)), ','))
        v.alts.push_back(bases(alt));
    DNASSM_CHECK(!v.ref.empty() && !v.alts.empty(), ErrorKind::kUsage,
                 named + "REF and ALT must be bases (A, C, G, T, N)");
    for (const std::string& alt : v.alts) {
        DNASSM_CHECK(!alt.empty(), ErrorKind::kUsage,
                     named + "REF and ALT must be bases (A, C, G, T, N)");
        DNASSM_CHECK(alt != v.ref, ErrorKind::kUsage, named + "ALT equals REF");
    }
    const std::string where = trimmed(s.substr(0, sep));
    const auto colon = where.rfind(':');
    DNASSM_CHECK(colon != std::string::npos && colon > 0, ErrorKind::kUsage, form);
    std::string digits;
    for (const char c : where.substr(colon + 1))
        if (c != ',') digits += c;
    DNASSM_CHECK(!digits.empty() && digits.size() <= 12 &&
                     digits.find_first_not_of("0123456789") == std::string::npos,
                 ErrorKind::kUsage, named + "the position must be a number");
    v.pos = std::stoll(digits);
    DNASSM_CHECK(v.pos >= 1, ErrorKind::kUsage,
                 named + "positions are 1-based; the first base is 1");
    v.contig = where.substr(0, colon);
    return v;
}

}  // namespace dnassm
