#include "dnassm/text.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

using Fields = std::vector<std::string>;

TEST(Text, SplitKeepsEmptyFields) {
    EXPECT_EQ(split("a,b", ','), (Fields{"a", "b"}));
    EXPECT_EQ(split("a,,b", ','), (Fields{"a", "", "b"}));
    EXPECT_EQ(split("a,", ','), (Fields{"a", ""}));
    EXPECT_EQ(split(",a", ','), (Fields{"", "a"}));
    EXPECT_EQ(split("abc", ','), (Fields{"abc"}));
    EXPECT_EQ(split("", ','), Fields{});
    EXPECT_EQ(split("gi|1|ref|NC_1.1|", '|'), (Fields{"gi", "1", "ref", "NC_1.1", ""}));
}

TEST(Text, SplitWhitespaceTakesRunsAsOneSeparatorUpToMax) {
    std::vector<std::string_view> f{"stale"};
    split_whitespace("  chr1 \t 0  10\tx y\r", 4, f);
    EXPECT_EQ(f, (std::vector<std::string_view>{"chr1", "0", "10", "x"}));
    split_whitespace("a b", 1, f);
    EXPECT_EQ(f, (std::vector<std::string_view>{"a"}));
    split_whitespace(" \t\r", 4, f);
    EXPECT_TRUE(f.empty());
}

TEST(Text, BlankLinesHoldOnlySpacesTabsAndACarriageReturn) {
    for (const std::string_view line : {"", "\r", " ", "\t \r"}) EXPECT_TRUE(is_blank(line));
    for (const std::string_view line : {"a", " ,", "x\r", "#"}) EXPECT_FALSE(is_blank(line));
}

TEST(Text, SplitCsvReadsQuotedFieldsAsSpreadsheetsWriteThem) {
    auto fields = [](std::string_view line) { return split_csv(line, "t.csv: line 2"); };
    EXPECT_EQ(fields("a,b"), (Fields{"a", "b"}));
    EXPECT_EQ(fields("a,,b,"), (Fields{"a", "", "b", ""}));
    EXPECT_EQ(fields(""), Fields{});
    // R's write.csv: every string quoted, row names in a first unnamed column.
    EXPECT_EQ(fields("\"\",\"sequence\",\"label\"\r"), (Fields{"", "sequence", "label"}));
    EXPECT_EQ(fields("\"a,b\",\"say \"\"hi\"\"\",3"), (Fields{"a,b", "say \"hi\"", "3"}));
    EXPECT_EQ(fields(" a , \"b\" ,c "), (Fields{"a", "b", "c"}));
    EXPECT_EQ(fields("ab\"c,d"), (Fields{"ab\"c", "d"}));  // a quote inside a bare field is text
    for (const char* bad : {"\"open,b", "\"a\"b,c"}) {
        try {
            (void)fields(bad);
            ADD_FAILURE() << bad;
        } catch (const Error& e) {
            EXPECT_STREQ(
                e.what(),
                "t.csv: line 2: unbalanced quotes (a field that opens with \" ends with \" "
                "before the next comma)");
        }
    }
}

TEST(Text, JsonMessageDropsTheLibraryTag) {
    EXPECT_EQ(json_message("[json.exception.parse_error.101] parse error at line 2, column 1: x"),
              "parse error at line 2, column 1: x");
    EXPECT_EQ(json_message("[json.exception.type_error.302] type must be number, but is string"),
              "type must be number, but is string");
    EXPECT_EQ(json_message("no tag [here] at all"), "no tag [here] at all");
}

}  // namespace
}  // namespace dnassm
