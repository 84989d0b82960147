#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "dnassm/error.h"

namespace dnassm {

double auroc(const std::vector<float>& score, const std::vector<std::uint8_t>& positive) {
    const size_t n = score.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    // Mann-Whitney U: sum of the positives' (average) ranks.
    double rank_sum = 0, n_pos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && score[order[j]] == score[order[i]]) ++j;
        const double avg_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1..j
        for (size_t k = i; k < j; ++k)
            if (positive[order[k]]) {
                rank_sum += avg_rank;
                n_pos += 1;
            }
        i = j;
    }
    const double n_neg = static_cast<double>(n) - n_pos;
    if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

TaskMetrics classification_metrics(const std::vector<float>& probs,
                                   const std::vector<std::int32_t>& labels,
                                   std::int64_t C) {
    const auto n = static_cast<std::int64_t>(labels.size());
    DNASSM_ASSERT(static_cast<std::int64_t>(probs.size()) == n * C);
    TaskMetrics m;
    m.n = n;
    if (n == 0) return m;
    std::vector<double> pred_count(static_cast<size_t>(C)), true_count(static_cast<size_t>(C)),
        tp(static_cast<size_t>(C));
    double correct = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const float* p = probs.data() + i * C;
        const auto pred = static_cast<std::int64_t>(std::max_element(p, p + C) - p);
        const std::int32_t y = labels[static_cast<size_t>(i)];
        m.loss -= std::log(std::max(static_cast<double>(p[y]), 1e-12));
        pred_count[static_cast<size_t>(pred)] += 1;
        true_count[static_cast<size_t>(y)] += 1;
        if (pred == y) {
            correct += 1;
            tp[static_cast<size_t>(y)] += 1;
        }
    }
    const double s = static_cast<double>(n);
    m.loss /= s;
    m.accuracy = correct / s;
    double pt = 0, pp = 0, tt = 0;
    for (std::int64_t k = 0; k < C; ++k) {
        pt += pred_count[static_cast<size_t>(k)] * true_count[static_cast<size_t>(k)];
        pp += pred_count[static_cast<size_t>(k)] * pred_count[static_cast<size_t>(k)];
        tt += true_count[static_cast<size_t>(k)] * true_count[static_cast<size_t>(k)];
    }
    const double denom = std::sqrt((s * s - pp) * (s * s - tt));
    m.mcc = denom > 0 ? (correct * s - pt) / denom : 0.0;
    std::vector<float> score(static_cast<size_t>(n));
    std::vector<std::uint8_t> pos(static_cast<size_t>(n));
    for (std::int64_t k = 0; k < C; ++k) {
        const double prec_den = pred_count[static_cast<size_t>(k)],
                     rec_den = true_count[static_cast<size_t>(k)], t = tp[static_cast<size_t>(k)];
        m.f1_per_class.push_back(prec_den + rec_den > 0 ? 2 * t / (prec_den + rec_den) : 0.0);
        for (std::int64_t i = 0; i < n; ++i) {
            score[static_cast<size_t>(i)] = probs[static_cast<size_t>(i * C + k)];
            pos[static_cast<size_t>(i)] = labels[static_cast<size_t>(i)] == k;
        }
        m.auroc_per_class.push_back(auroc(score, pos));
    }
    if (C == 2) {
        m.f1 = m.f1_per_class[1];
        m.auroc = m.auroc_per_class[1];
    } else {
        m.f1 = std::accumulate(m.f1_per_class.begin(), m.f1_per_class.end(), 0.0) /
               static_cast<double>(C);
        double sum = 0, cnt = 0;
        for (double a : m.auroc_per_class)
            if (!std::isnan(a)) {
                sum += a;
                cnt += 1;
            }
        m.auroc = cnt > 0 ? sum / cnt : std::numeric_limits<double>::quiet_NaN();
    }
    return m;
}

namespace {

double pearson_of(const std::vector<double>& x, const std::vector<double>& y) {
    const auto n = static_cast<double>(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n,
                 my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

// Ranks 1..n, ties given their average rank.
std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
        for (size_t k = i; k < j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + 1 + j);
        i = j;
    }
    return r;
}

}  // namespace

TaskMetrics regression_metrics(const std::vector<float>& predicted,
                               const std::vector<float>& target) {
    DNASSM_ASSERT(predicted.size() == target.size() && !target.empty());
    const std::vector<double> p(predicted.begin(), predicted.end()),
        y(target.begin(), target.end());
    TaskMetrics m;
    m.regression = true;
    m.n = static_cast<std::int64_t>(y.size());
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(m.n);
    double sse = 0, sst = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        sse += (p[i] - y[i]) * (p[i] - y[i]);
        sst += (y[i] - my) * (y[i] - my);
    }
    m.loss = sse / static_cast<double>(m.n);
    m.r2 = sst > 0 ? 1.0 - sse / sst : std::numeric_limits<double>::quiet_NaN();
    m.pearson = pearson_of(p, y);
    m.spearman = pearson_of(ranks(p), ranks(y));
    return m;
}

std::string TaskMetrics::summary() const {
    char text[160];
    if (regression)
        std::snprintf(text, sizeof text, "MSE %.6g  Pearson r %.4f  Spearman %.4f  R2 %.4f", loss,
                      pearson, spearman, r2);
    else
        std::snprintf(text, sizeof text, "acc %.4f  MCC %.4f  F1 %.4f  AUROC %.4f", accuracy, mcc,
                      f1, auroc);
    return text;
}

nlohmann::json TaskMetrics::to_json() const {
    auto num = [](double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); };
    if (regression)
        return {{"n", n},
                {"loss", loss},
                {"mse", loss},
                {"pearson", num(pearson)},
                {"spearman", num(spearman)},
                {"r2", num(r2)}};
    nlohmann::json per = nlohmann::json::array();
    for (size_t k = 0; k < f1_per_class.size(); ++k)
        per.push_back({{"f1", f1_per_class[k]}, {"auroc", num(auroc_per_class[k])}});
    return {{"n", n},   {"loss", loss},        {"accuracy", accuracy}, {"mcc", mcc},
            {"f1", f1}, {"auroc", num(auroc)}, {"per_class", per}};
}

}  // namespace dnassm
