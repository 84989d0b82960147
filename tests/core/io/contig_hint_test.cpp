#include "dnassm/io/contig_hint.h"

#include <map>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

TEST(ContigHint, NamesTheContigThatDiffersOnlyByConvention) {
    const std::vector<std::string> ensembl = {"1", "2", "X", "MT"};
    EXPECT_EQ(unknown_contig_hint("chr1", ensembl),
              " (the input has '1': contig names must match exactly)");
    EXPECT_EQ(unknown_contig_hint("chrx", ensembl),
              " (the input has 'X': contig names must match exactly)");
    EXPECT_EQ(unknown_contig_hint("chrM", ensembl),
              " (the input has 'MT': contig names must match exactly)");
    const std::vector<std::string> ucsc = {"chr1", "chr10", "chrM"};
    EXPECT_EQ(unknown_contig_hint("1", ucsc),
              " (the input has 'chr1': contig names must match exactly)");
    EXPECT_EQ(unknown_contig_hint("MT", ucsc),
              " (the input has 'chrM': contig names must match exactly)");
}

TEST(ContigHint, AccessionVersionsAndNcbiHeaders) {
    EXPECT_EQ(unknown_contig_hint("NC_000913", {"NC_000913.3"}),
              " (the input has 'NC_000913.3': contig names must match exactly)");
    EXPECT_EQ(unknown_contig_hint("NC_000913.2", {"NC_000913.3"}),
              " (the input has 'NC_000913.3': contig names must match exactly)");
    const std::string gi = "gi|110640213|ref|NC_008253.1|";
    EXPECT_EQ(unknown_contig_hint("NC_008253", {gi}),
              " (the input has '" + gi + "': contig names must match exactly)");
    // The numeric gi field is not a key: chromosome "110640213" is not that header.
    EXPECT_EQ(unknown_contig_hint("110640213", {gi}).find("the input has '"), std::string::npos);
    // Numbered chromosomes keep their numbers: "1.1" is not "1", nor "chr11" "chr1".
    EXPECT_EQ(unknown_contig_hint("chr11", {"1"}), " (the input's 1 contig: '1')");
    EXPECT_EQ(unknown_contig_hint("1.1", {"1"}), " (the input's 1 contig: '1')");
}

TEST(ContigHint, ListsAFewNamesWhenNoneIsAlike) {
    EXPECT_EQ(unknown_contig_hint("chrZ", {"chr1", "chr2"}),
              " (the input's 2 contigs: 'chr1', 'chr2')");
    EXPECT_EQ(unknown_contig_hint("Z", {"a", "b", "c", "d", "e", "f", "g"}),
              " (the input's 7 contigs: 'a', 'b', 'c', 'd', 'e', …)");
    EXPECT_EQ(unknown_contig_hint("Z", {}), " (the input has no contigs)");
    const std::string long_name(60, 'q');
    EXPECT_EQ(unknown_contig_hint("Z", {long_name}),
              " (the input's 1 contig: '" + std::string(40, 'q') + "…')");
}

// What a genome browser maps: the one name alike, else none (several alike, or none).
TEST(ContigHint, AliasIsTheOneNameAlike) {
    const std::vector<std::string> ensembl = {"1", "2", "X", "MT"};
    EXPECT_EQ(contig_alias("chr1", ensembl), "1");
    EXPECT_EQ(contig_alias("chrM", ensembl), "MT");
    EXPECT_EQ(contig_alias("chrY", ensembl), "");
    EXPECT_EQ(contig_alias("chrM", {"M", "MT"}), "");  // which one is not ours to guess
    ContigAliases lambda({{"NC_001416.1", 48502}});
    EXPECT_EQ(lambda.of("NC_001416"), "NC_001416.1");
    EXPECT_EQ(lambda.of("chrY"), "");
    std::string contig = "NC_001416";
    std::map<std::string, std::string> renamed;
    lambda.rename(contig, renamed);
    EXPECT_EQ(contig, "NC_001416.1");
    EXPECT_EQ(renamed, (std::map<std::string, std::string>{{"NC_001416", "NC_001416.1"}}));
    contig = "chrY";  // none: left as it is, nothing recorded
    lambda.rename(contig, renamed);
    EXPECT_EQ(contig, "chrY");
    EXPECT_EQ(renamed.size(), 1u);
}

TEST(ContigHint, SeveralAlikeAreAllNamed) {
    EXPECT_EQ(unknown_contig_hint("chrM", {"M", "MT"}),
              " (the input has 'M' and 'MT': contig names must match exactly)");
}

}  // namespace
}  // namespace dnassm
