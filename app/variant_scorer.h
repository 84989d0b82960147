// The scores of one variant for `dnassm score`: the REF and ALT windows run through a model, and
// from their outputs the log-likelihood ratio and the embedding distances (see cmd_score.cpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/model.h"

namespace dnassm::app {

struct Scores {
    double llr = std::numeric_limits<double>::quiet_NaN();
    double l2 = 0, cos = 0;
};

/// Where a variant's REF and ALT windows differ: from `begin` (in both), `ref_len` bases of the
/// REF window and `alt_len` of the ALT window. Found from both ends of the windows, so it is the
/// alleles less the bases they share (VCF's padding base), and an indel in a repeat is placed
/// at the repeat's end whichever way the VCF writes it.
struct Edit {
    std::int64_t begin = 0, ref_len = 0, alt_len = 0;
};
[[nodiscard]] Edit differing_span(std::span<const std::int32_t> ref,
                                  std::span<const std::int32_t> alt);
/// The same edit in the reverse-complemented windows (`ref_size`: the REF window's length).
[[nodiscard]] Edit mirrored(const Edit& e, std::int64_t ref_size);

class Scorer {
  public:
    Scorer(const Model& model, Backend& backend) : model_(model), backend_(backend) {}

    /// Scores ALT window `alt` against REF window `ref`, which differ by `edit`.
    [[nodiscard]] Scores score(const std::vector<std::int32_t>& ref,
                               const std::vector<std::int32_t>& alt,
                               const Edit& edit) const;

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
    static double base_ll(const float* logits_row, std::int32_t base);
    static std::vector<double> mean_of(const Pass& a, const Pass* b = nullptr);
    PairScores run_pair(const std::vector<std::int32_t>& ref,
                        const std::vector<std::int32_t>& alt,
                        std::int64_t shared) const;
    double masked_llr(const std::vector<std::int32_t>& ref,
                      const std::vector<std::int32_t>& alt,
                      const Edit& edit) const;
    std::vector<double> masked_span_ll(
        std::vector<std::int32_t> window,
        std::int64_t begin,
        std::int64_t len,
        std::initializer_list<const std::vector<std::int32_t>*> truths) const;

    const Model& model_;
    Backend& backend_;
};

}  // namespace dnassm::app
