// A variant written on the command line, as agt's --variant and VCF's fields write one:
// "chr:pos:REF>ALT" or "chr:pos REF>ALT", pos 1-based, ALT possibly several ("A>C,G").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnassm {

struct VariantSpec {
    std::string contig;
    std::int64_t pos = -1;  // 1-based, as VCF's POS
    std::string ref;        // upper-case A/C/G/T/N
    std::vector<std::string> alts;

    bool operator==(const VariantSpec&) const = default;
};

/// Parses one spec (thousands separators and lowercase bases allowed; a contig name may hold
/// ':'). Anything else, an allele that is not bases, or an ALT equal to REF is Error(kUsage)
/// "variant 'TEXT': ..." saying what was expected.
[[nodiscard]] VariantSpec parse_variant_spec(const std::string& text);

}  // namespace dnassm
