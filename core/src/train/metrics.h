// Internal (fine-tuning, issue B): classification metrics over predicted class probabilities.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace dnassm {

struct ClassMetrics {
    std::int64_t n = 0;
    double loss = 0;      // mean cross-entropy (nats)
    double accuracy = 0;  // argmax == label
    double mcc = 0;       // Matthews correlation (Gorodkin's R_K for more than 2 classes)
    double f1 = 0;        // binary: F1 of class 1; multi-class: macro mean
    double auroc = 0;     // binary: AUROC of p(class 1); multi-class: macro mean of one-vs-rest
    std::vector<double> f1_per_class, auroc_per_class;
    [[nodiscard]] nlohmann::json to_json() const;
};

/// probs {n, C} row-major, labels in [0, C).
ClassMetrics classification_metrics(const std::vector<float>& probs,
                                    const std::vector<std::int32_t>& labels,
                                    std::int64_t C);

/// Area under the ROC curve of `score` for `positive` (ties count one half); NaN when one
/// of the two groups is empty.
double auroc(const std::vector<float>& score, const std::vector<std::uint8_t>& positive);

}  // namespace dnassm
