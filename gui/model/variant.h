// The explorer's variant mode: a single-base substitution run against the reference, so the
// model's tracks show the reference, the alternate allele and their difference (as Borzoi's
// ref/alt tracks). Written as VCF fields and agt's --variant write it: "chr:pos:REF>ALT" or
// "chr:pos REF>ALT", pos 1-based.
#pragma once

#include <cstdint>
#include <string>

namespace dnassm::gui {

struct Snv {
    std::string contig;
    std::int64_t pos = -1;  // 0-based
    char ref = 0, alt = 0;  // A, C, G or T

    [[nodiscard]] bool empty() const { return contig.empty(); }
    /// "chr:1,234 A>G" (1-based).
    [[nodiscard]] std::string label() const;
    bool operator==(const Snv&) const = default;
};

/// Parses "chr:pos:REF>ALT" or "chr:pos REF>ALT" (dnassm/io/variant_spec.h); anything but one
/// base for another is Error(kUsage) naming the text and what was expected.
[[nodiscard]] Snv parse_snv(const std::string& text);

}  // namespace dnassm::gui
