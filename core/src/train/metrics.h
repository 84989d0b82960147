// Internal (fine-tuning, issue B): validation and test metrics of a task head: classification
// over predicted class probabilities, regression over predicted values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dnassm {

struct TaskMetrics {
    std::int64_t n = 0;
    bool regression = false;
    double loss = 0;      // mean cross-entropy (nats); regression: mean squared error
    double accuracy = 0;  // argmax == label
    double mcc = 0;       // Matthews correlation (Gorodkin's R_K for more than 2 classes)
    double f1 = 0;        // binary: F1 of class 1; multi-class: macro mean
    double auroc = 0;     // binary: AUROC of p(class 1); multi-class: macro mean of one-vs-rest
    std::vector<double> f1_per_class, auroc_per_class;
    double pearson = 0, spearman = 0, r2 = 0;  // regression (NaN where undefined)
    [[nodiscard]] nlohmann::json to_json() const;
    /// The headline figures for a log line, e.g. "acc 0.9000  MCC 0.8000  F1 ...  AUROC ...".
    [[nodiscard]] std::string summary() const;
};

/// probs {n, C} row-major, labels in [0, C).
TaskMetrics classification_metrics(const std::vector<float>& probs,
                                   const std::vector<std::int32_t>& labels,
                                   std::int64_t C);

/// Mean squared error, Pearson and Spearman correlation and R^2 of predictions against targets.
TaskMetrics regression_metrics(const std::vector<float>& predicted,
                               const std::vector<float>& target);

/// Area under the ROC curve of `score` for `positive` (ties count one half); NaN when one
/// of the two groups is empty.
double auroc(const std::vector<float>& score, const std::vector<std::uint8_t>& positive);

}  // namespace dnassm
