#include "dnassm/text.h"

#include <gtest/gtest.h>

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

TEST(Text, JsonMessageDropsTheLibraryTag) {
    EXPECT_EQ(json_message("[json.exception.parse_error.101] parse error at line 2, column 1: x"),
              "parse error at line 2, column 1: x");
    EXPECT_EQ(json_message("[json.exception.type_error.302] type must be number, but is string"),
              "type must be number, but is string");
    EXPECT_EQ(json_message("no tag [here] at all"), "no tag [here] at all");
}

}  // namespace
}  // namespace dnassm
