// Character tokenizer shared by HyenaDNA, Caduceus and dnassm's Mamba models (MODELS.md §1.1):
// [CLS]=0 [SEP]=1 [BOS]=2 [MASK]=3 [PAD]=4 [RESERVED]=5 [UNK]=6 A=7 C=8 G=9 T=10 N=11.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dnassm {

namespace token {
constexpr std::int32_t kMask = 3, kUnk = 6, kA = 7, kC = 8, kG = 9, kT = 10, kN = 11;
}

/// Reverse complement of token ids in place: reversed, A<->T and C<->G (others unchanged).
void reverse_complement(std::vector<std::int32_t>& ids);

/// The complement of a base, IUPAC codes and case kept (R<->Y, K<->M, B<->V, D<->H; S, W, N
/// unchanged); any other character is returned as it is.
[[nodiscard]] char complement_base(char b);

/// Reverse complement of bases in place, IUPAC codes and case kept (R<->Y, K<->M, B<->V,
/// D<->H; S, W, N unchanged); other characters are left for the tokenizer to report.
void reverse_complement_bases(std::string& seq);

/// ln p(id) under a logits row restricted to A/C/G/T and renormalised (id must be A/C/G/T).
[[nodiscard]] double acgt_log_prob(const float* logits_row, std::int32_t id);

struct TokenizeStats {
    std::int64_t bases = 0;
    std::int64_t lowercase = 0;  // soft-masked bases seen
    std::int64_t iupac = 0;      // IUPAC ambiguity codes other than N, mapped to N
    std::int64_t n = 0;          // N (including mapped IUPAC codes)
};

class CharTokenizer {
  public:
    /// uppercase = true folds soft-masked bases (a/c/g/t) to A/C/G/T; false keeps the reference
    /// behaviour, where lowercase letters become [UNK].
    explicit CharTokenizer(bool uppercase = true) : uppercase_(uppercase) {}
    /// Characters that are not IUPAC nucleotide codes (digits, '-', '*', ...) are Error(kInput)
    /// naming `where` and the 1-based position.
    void encode(std::string_view seq,
                std::vector<std::int32_t>& ids,
                TokenizeStats& stats,
                const std::string& where) const;

  private:
    bool uppercase_;
};

}  // namespace dnassm
