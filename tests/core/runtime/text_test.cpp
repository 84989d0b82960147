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

}  // namespace
}  // namespace dnassm
