// The scores of one variant for `dnassm score`: the REF and ALT windows run through a model, and
// from their outputs the log-likelihood ratio and the embedding distances (see cmd_score.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/model.h"

namespace dnassm::app {

struct Scores {
    double llr = std::numeric_limits<double>::quiet_NaN();  // NaN: not defined (masked LM, indel)
    double l2 = 0, cos = 0;
};

class Scorer {
  public:
    Scorer(const Model& model, Backend& backend) : model_(model), backend_(backend) {}

    /// Scores ALT window `alt` against REF window `ref`; `pos` is the variant's first base in
    /// `ref`, `snv` says whether it is a single-base substitution (a masked LM scores only those).
    [[nodiscard]] Scores score(const std::vector<std::int32_t>& ref,
                               const std::vector<std::int32_t>& alt,
                               std::int64_t pos,
                               bool snv) const;

  private:
    // What one run over a stretch of tokens contributes to a window's scores.
    struct Pass {
        std::vector<double> sum;  // Σ of the hidden rows
        std::int64_t rows = 0;
        double ll = 0;                   // causal: Σ ln p(next base) of rows whose next base is in
        std::vector<float> last_logits;  // the stretch; the last row's logits predict the one after
    };
    // Mean hidden states of the two windows and (causal) their summed next-base log-likelihoods,
    // up to a term they share.
    struct PairScores {
        std::vector<double> mean_ref;
        double ll_ref;
        std::vector<double> mean_alt;
        double ll_alt;
    };

    Pass run(std::span<const std::int32_t> ids, ModelState* state) const;
    static double next_base_ll(const float* logits_row, std::int32_t next);
    static std::vector<double> mean_of(const Pass& a, const Pass* b = nullptr);
    PairScores run_pair(const std::vector<std::int32_t>& ref,
                        const std::vector<std::int32_t>& alt) const;
    double masked_llr(std::vector<std::int32_t> ids,
                      std::int64_t pos,
                      std::int32_t ref,
                      std::int32_t alt) const;

    const Model& model_;
    Backend& backend_;
};

}  // namespace dnassm::app
