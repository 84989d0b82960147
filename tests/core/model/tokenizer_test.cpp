#include "dnassm/tokenizer.h"

#include <utility>

#include <gtest/gtest.h>

#include "dnassm/error.h"

namespace dnassm {

TEST(Tokenizer, ReferenceIds) {
    std::vector<std::int32_t> ids;
    TokenizeStats st;
    CharTokenizer().encode("ACGTN", ids, st, "x");
    EXPECT_EQ(ids, (std::vector<std::int32_t>{7, 8, 9, 10, 11}));
    EXPECT_EQ(st.bases, 5);
}

TEST(Tokenizer, LowercaseUppercasedByDefaultOrUnkLikeReference) {
    std::vector<std::int32_t> ids;
    TokenizeStats st;
    CharTokenizer(true).encode("acgtn", ids, st, "x");
    EXPECT_EQ(ids, (std::vector<std::int32_t>{7, 8, 9, 10, 11}));
    EXPECT_EQ(st.lowercase, 5);
    CharTokenizer(false).encode("aC", ids, st, "x");
    EXPECT_EQ(ids, (std::vector<std::int32_t>{6, 8}));
}

TEST(Tokenizer, IupacToNCountedInvalidRejected) {
    std::vector<std::int32_t> ids;
    TokenizeStats st;
    CharTokenizer().encode("ARYKmn", ids, st, "x");
    EXPECT_EQ(ids, (std::vector<std::int32_t>{7, 11, 11, 11, 11, 11}));
    EXPECT_EQ(st.iupac, 4);
    try {
        CharTokenizer().encode("AC-GT", ids, st, "in.fa: chr1");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "in.fa: chr1: invalid base '-' at position 3");
    }
    // A stray carriage return or a non-ASCII byte is named by its code, so the message stays one
    // line.
    for (const auto& [seq, what] :
         {std::pair{"AC\rGT", "x: invalid base byte 0x0d at position 3"},
          std::pair{"A\xc3\xa9", "x: invalid base byte 0xc3 at position 2"},
          // SAM's '=' stands for the reference's base, which a read's record does not hold.
          std::pair{"AC=T",
                    "x: invalid base '=' at position 3 (SAM's 'same as the reference'; "
                    "'samtools calmd' writes the bases back)"}}) {
        try {
            CharTokenizer().encode(seq, ids, st, "x");
            FAIL() << seq;
        } catch (const Error& e) {
            EXPECT_STREQ(e.what(), what);
        }
    }
}

TEST(Tokenizer, ComplementKnowsIupacAndCase) {
    // Each IUPAC code's complement is the code of the complemented set (R = A/G -> Y = C/T).
    const std::string codes = "ACGTRYKMBVDHSWNacgtrykmbvdhswn";
    const std::string want = "TGCAYRMKVBHDSWNtgcayrmkvbhdswn";
    for (size_t i = 0; i < codes.size(); ++i) {
        EXPECT_EQ(complement_base(codes[i]), want[i]) << codes[i];
        EXPECT_EQ(complement_base(complement_base(codes[i])), codes[i]) << codes[i];
    }
    EXPECT_EQ(complement_base('-'), '-');  // left for the tokenizer to report
    std::string seq = "AACgtRn";
    reverse_complement_bases(seq);
    EXPECT_EQ(seq, "nYacGTT");
    std::vector<std::int32_t> ids{token::kA, token::kC, token::kN, token::kT};
    reverse_complement(ids);
    EXPECT_EQ(ids, (std::vector<std::int32_t>{token::kA, token::kN, token::kG, token::kT}));
}

}  // namespace dnassm
