// Per-base tracks (see per_base_track.h): row i of an LM's logits predicts base i + 1; a
// segmentation head's row i describes base i itself.
#include "dnassm/per_base_track.h"

#include <cmath>
#include <limits>

#include "dnassm/error.h"
#include "dnassm/task_head.h"
#include "dnassm/tokenizer.h"

namespace dnassm {

namespace {

// Fills value for the base predicted by logits_row; returns false where undefined.
bool lm_value(const float* logits_row, std::int32_t next_id, TrackKind kind, float& value) {
    if (kind == TrackKind::kLoglik) {
        if (next_id < token::kA || next_id > token::kT) return false;
        value = static_cast<float>(acgt_log_prob(logits_row, next_id));
        return true;
    }
    double m = -INFINITY;
    for (int k = 0; k < 4; ++k) m = std::max(m, static_cast<double>(logits_row[token::kA + k]));
    double z = 0, p[4];
    for (int k = 0; k < 4; ++k) z += (p[k] = std::exp(logits_row[token::kA + k] - m));
    double h = 0;
    for (int k = 0; k < 4; ++k) {
        const double q = p[k] / z;
        if (q > 0) h -= q * std::log(q);
    }
    value = static_cast<float>(h);
    return true;
}

std::vector<float> masked_values(const Model& model,
                                 Backend& backend,
                                 const std::vector<std::int32_t>& tok,
                                 const TrackSpec& spec,
                                 Progress* progress) {
    const auto L = static_cast<std::int64_t>(tok.size());
    std::vector<float> vals(static_cast<size_t>(L), std::numeric_limits<float>::quiet_NaN());
    std::vector<std::int32_t> win;
    for (std::int64_t t = 0; t < L; ++t) {
        const std::int64_t b = std::max<std::int64_t>(0, t - spec.mlm_context),
                           e = std::min(L, t + spec.mlm_context + 1);
        win.assign(tok.begin() + b, tok.begin() + e);
        win[static_cast<size_t>(t - b)] = token::kMask;
        const Tensor h = model.forward(backend, win, nullptr);
        const Tensor logits = model.logits(backend, h.slice_rows(t - b, t - b + 1));
        float v = 0;
        if (lm_value(logits.f32(), tok[static_cast<size_t>(t)], spec.kind, v))
            vals[static_cast<size_t>(t)] = v;
        if (progress) progress->advance(1);
    }
    return vals;
}

std::vector<float> strand_values(const Model& model,
                                 Backend& backend,
                                 const std::vector<std::int32_t>& tok,
                                 const TrackSpec& spec,
                                 Progress* progress) {
    if (!model.causal() && spec.kind != TrackKind::kHeadClass)
        return masked_values(model, backend, tok, spec, progress);
    const auto L = static_cast<std::int64_t>(tok.size());
    const std::int64_t V = model.info().vocab_size;
    std::vector<float> vals(static_cast<size_t>(L), std::numeric_limits<float>::quiet_NaN());
    const TaskHead* head = model.task_head();
    run_sequence(
        model, backend, tok, spec.run, progress, [&](std::int64_t offset, const Tensor& h) {
            if (spec.kind == TrackKind::kHeadClass) {
                const Tensor p = head->probabilities(h);
                for (std::int64_t i = 0; i < h.dim(0); ++i)
                    vals[static_cast<size_t>(offset + i)] =
                        p.f32()[i * head->n_classes() + spec.head_class];
                return;
            }
            const Tensor logits = model.logits(backend, h);
            for (std::int64_t i = 0; i < h.dim(0) && offset + i + 1 < L; ++i) {
                const std::int64_t pos = offset + i + 1;
                float v = 0;
                if (lm_value(logits.f32() + i * V, tok[static_cast<size_t>(pos)], spec.kind, v))
                    vals[static_cast<size_t>(pos)] = v;
            }
        });
    return vals;
}

}  // namespace

std::vector<std::string> track_names(const Model& model) {
    std::vector<std::string> names;
    const TaskHead* head = model.task_head();
    if (head && head->task == HeadTask::kSegment)
        for (const auto& c : head->classes) names.push_back("p_" + c);
    names.push_back("loglik");
    names.push_back("entropy");
    return names;
}

TrackSpec track_spec(const Model& model, const std::string& name) {
    TrackSpec spec;
    const TaskHead* head = model.task_head();
    if (name.rfind("p_", 0) == 0 && head && head->task == HeadTask::kSegment) {
        for (std::int64_t c = 0; c < head->n_classes(); ++c)
            if (name == "p_" + head->classes[static_cast<size_t>(c)]) {
                spec.kind = TrackKind::kHeadClass;
                spec.head_class = c;
                return spec;
            }
    }
    if (name == "loglik" || name == "entropy") {
        spec.kind = name == "loglik" ? TrackKind::kLoglik : TrackKind::kEntropy;
        return spec;
    }
    std::string valid;
    for (const auto& n : track_names(model)) valid += (valid.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::kUsage, "--track: '" + name + "' is not a track of " +
                                       model.info().path + " (" + valid + ")");
}

std::vector<float> per_base_track(const Model& model,
                                  Backend& backend,
                                  const std::vector<std::int32_t>& ids,
                                  const TrackSpec& spec,
                                  Progress* progress) {
    DNASSM_CHECK(
        spec.kind != TrackKind::kHeadClass || (model.task_head() && spec.head_class >= 0 &&
                                               spec.head_class < model.task_head()->n_classes()),
        ErrorKind::kUsage, model.info().path + ": no segmentation head class to draw");
    std::vector<float> vals = strand_values(model, backend, ids, spec, progress);
    if (!spec.rc) return vals;
    std::vector<std::int32_t> rc = ids;
    reverse_complement(rc);
    const std::vector<float> r = strand_values(model, backend, rc, spec, progress);
    const auto L = static_cast<std::int64_t>(ids.size());
    for (std::int64_t p = 0; p < L; ++p) {
        const float a = vals[static_cast<size_t>(p)], b = r[static_cast<size_t>(L - 1 - p)];
        vals[static_cast<size_t>(p)] = std::isnan(a) ? b : std::isnan(b) ? a : 0.5f * (a + b);
    }
    return vals;
}

}  // namespace dnassm
