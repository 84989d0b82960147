// The scores `dnassm score` writes for each ALT allele: a TSV column and a VCF INFO field each
// (what the explorer reads back from a scored VCF).
#pragma once

namespace dnassm {

struct ScoreField {
    const char* column;       // the TSV's header
    const char* info_id;      // the VCF INFO field (Number=A, Type=Float)
    const char* description;  // its ##INFO Description
};

inline constexpr ScoreField kScoreFields[] = {
    {"llr", "DNASSM_LLR", "dnassm: log-likelihood ratio ALT vs REF"},
    {"emb_l2", "DNASSM_EMB_L2", "dnassm: L2 distance of mean embeddings, ALT vs REF window"},
    {"emb_cos", "DNASSM_EMB_COS", "dnassm: cosine distance of mean embeddings"},
};

}  // namespace dnassm
