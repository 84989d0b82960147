#include "dnassm/tokenizer.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "dnassm/error.h"

namespace dnassm {

namespace {

// 0 = invalid, else the token id; IUPAC codes other than N map to N and are counted.
constexpr std::array<std::int8_t, 256> make_table() {
    std::array<std::int8_t, 256> t{};
    t['A'] = token::kA;
    t['C'] = token::kC;
    t['G'] = token::kG;
    t['T'] = token::kT;
    t['N'] = token::kN;
    for (char c : {'R', 'Y', 'S', 'W', 'K', 'M', 'B', 'D', 'H', 'V', 'U'})
        t[static_cast<unsigned char>(c)] = -1;
    return t;
}
constexpr auto kTable = make_table();

// A control character or a non-ASCII byte printed as itself would garble the one-line message.
std::string describe_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

void CharTokenizer::encode(std::string_view seq,
                           std::vector<std::int32_t>& ids,
                           TokenizeStats& stats,
                           const std::string& where) const {
    ids.resize(seq.size());
    for (size_t i = 0; i < seq.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(seq[i]);
        const bool lower = c >= 'a' && c <= 'z';
        if (lower) {
            ++stats.lowercase;
            c = static_cast<unsigned char>(c - 'a' + 'A');
        }
        const std::int8_t v = kTable[c];
        if (v == 0)
            throw Error(ErrorKind::kInput,
                        where + ": invalid base " + describe_byte(seq[i]) + " at position " +
                            std::to_string(i + 1) +
                            (c == '=' ? " (SAM's 'same as the reference'; 'samtools "
                                        "calmd' writes the bases back)"
                                      : ""));
        if (lower && !uppercase_) {
            ids[i] = token::kUnk;
            continue;
        }
        if (v < 0) {
            ++stats.iupac;
            ++stats.n;
            ids[i] = token::kN;
        } else {
            if (v == token::kN) ++stats.n;
            ids[i] = v;
        }
    }
    stats.bases += static_cast<std::int64_t>(seq.size());
}

void reverse_complement(std::vector<std::int32_t>& ids) {
    std::reverse(ids.begin(), ids.end());
    for (auto& id : ids)
        if (id >= token::kA && id <= token::kT) id = token::kA + token::kT - id;  // A<->T, C<->G
}

char complement_base(char b) {
    static constexpr std::string_view from = "ACGTRYKMBVDHSWNacgtrykmbvdhswn",
                                      to = "TGCAYRMKVBHDSWNtgcayrmkvbhdswn";
    const auto k = from.find(b);
    return k == std::string_view::npos ? b : to[k];
}

void reverse_complement_bases(std::string& seq) {
    std::reverse(seq.begin(), seq.end());
    for (char& c : seq) c = complement_base(c);
}

double acgt_log_prob(const float* row, std::int32_t id) {
    double m = row[token::kA];
    for (int k = 1; k < 4; ++k) m = std::max(m, static_cast<double>(row[token::kA + k]));
    double z = 0;
    for (int k = 0; k < 4; ++k) z += std::exp(row[token::kA + k] - m);
    return row[id] - m - std::log(z);
}

}  // namespace dnassm
