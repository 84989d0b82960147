// Variants written on the command line (score --variant, the explorer's variant mode).
#include "dnassm/io/variant_spec.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

using Alts = std::vector<std::string>;

std::string error_of(const std::string& text) {
    try {
        (void)parse_variant_spec(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUsage);
        return e.what();
    }
    return "no error";
}

TEST(VariantSpec, ReadsAsAgtAndVcfWriteThem) {
    EXPECT_EQ(parse_variant_spec("chr22:36201698:A>C"),
              (VariantSpec{"chr22", 36201698, "A", {"C"}}));
    EXPECT_EQ(parse_variant_spec(" chr1:1,000 a>g "), (VariantSpec{"chr1", 1000, "A", {"G"}}));
    // Indels and several ALTs, as a VCF line has them; a name holding ':' (HLA contigs).
    EXPECT_EQ(parse_variant_spec("chr1:5:AT>A"), (VariantSpec{"chr1", 5, "AT", {"A"}}));
    EXPECT_EQ(parse_variant_spec("chr1:5:A>ATT,C"),
              (VariantSpec{"chr1", 5, "A", Alts{"ATT", "C"}}));
    EXPECT_EQ(parse_variant_spec("HLA-A*01:01:7 N>A").contig, "HLA-A*01:01");
    // chr:pos:REF:ALT, as many variant lists write it.
    EXPECT_EQ(parse_variant_spec("chr22:36201698:A:C"),
              (VariantSpec{"chr22", 36201698, "A", {"C"}}));
    EXPECT_EQ(parse_variant_spec("chr1:5:AT:A,G"), (VariantSpec{"chr1", 5, "AT", Alts{"A", "G"}}));
}

TEST(VariantSpec, ErrorsNameTheTextAndWhatWasExpected) {
    const std::pair<const char*, const char*> bad[] = {
        {"chr1:5", "expected chr:pos:REF>ALT, chr:pos:REF:ALT or chr:pos REF>ALT"},
        {"chr1:5:A:", "must be bases"},
        {"chr1:5:A:X", "must be bases"},
        {"A>G", "expected chr:pos:REF>ALT"},
        {"chr1 A>G", "expected chr:pos:REF>ALT"},
        {"chr1:5:A>", "must be bases"},
        {"chr1:5:A>C,", "must be bases"},
        {"chr1:5:A><DEL>", "must be bases"},
        {"chr1:5:A>A", "ALT equals REF"},
        {"chr1:x:A>G", "the position must be a number"},
        {"chr1:0:A>G", "1-based"}};
    for (const auto& [text, needle] : bad) {
        const std::string e = error_of(text);
        EXPECT_EQ(e.rfind(std::string("variant '") + text + "': ", 0), 0u) << e;
        EXPECT_NE(e.find(needle), std::string::npos) << text << ": " << e;
    }
}

}  // namespace
}  // namespace dnassm
