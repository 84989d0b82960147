#include "variant_scorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "dnassm/stream_state.h"
#include "dnassm/tokenizer.h"

namespace dnassm::app {

Scores Scorer::score(const std::vector<std::int32_t>& ref,
                     const std::vector<std::int32_t>& alt,
                     std::int64_t pos,
                     bool snv) const {
    Scores s;
    const auto [mr, ll_ref, ma, ll_alt] = run_pair(ref, alt);
    double dot = 0, nr = 0, na = 0, l2 = 0;
    for (size_t d = 0; d < mr.size(); ++d) {
        dot += mr[d] * ma[d];
        nr += mr[d] * mr[d];
        na += ma[d] * ma[d];
        l2 += (mr[d] - ma[d]) * (mr[d] - ma[d]);
    }
    s.l2 = std::sqrt(l2);
    s.cos = nr > 0 && na > 0 ? 1.0 - dot / std::sqrt(nr * na) : 0.0;
    if (model_.causal())
        s.llr = ll_alt - ll_ref;
    else if (snv)
        s.llr = masked_llr(ref, pos, ref[static_cast<size_t>(pos)], alt[static_cast<size_t>(pos)]);
    return s;
}

// Runs `ids` from `state` (advanced; null = a fresh start).
Scorer::Pass Scorer::run(std::span<const std::int32_t> ids, ModelState* state) const {
    // The logits are computed where the hidden states are; only the states come down.
    const Tensor h_act = model_.forward_activation(backend_, ids, state);
    const Tensor h = backend_.download_async(h_act)->wait();
    const std::int64_t L = h.dim(0), D = h.dim(1);
    Pass p;
    p.rows = L;
    p.sum.assign(static_cast<size_t>(D), 0.0);
    for (std::int64_t t = 0; t < L; ++t)
        for (std::int64_t d = 0; d < D; ++d) p.sum[static_cast<size_t>(d)] += h.f32()[t * D + d];
    if (model_.causal()) {
        const Tensor lg = model_.logits(backend_, h_act);
        const std::int64_t V = lg.dim(1);
        for (std::int64_t t = 0; t + 1 < L; ++t) p.ll += next_base_ll(lg.f32() + t * V, ids[t + 1]);
        p.last_logits.assign(lg.f32() + (L - 1) * V, lg.f32() + L * V);
    }
    return p;
}

double Scorer::next_base_ll(const float* logits_row, std::int32_t next) {
    return next >= token::kA && next <= token::kT ? acgt_log_prob(logits_row, next) : 0.0;
}

std::vector<double> Scorer::mean_of(const Pass& a, const Pass* b) {
    std::vector<double> m = a.sum;
    const double rows = static_cast<double>(a.rows + (b ? b->rows : 0));
    for (size_t d = 0; d < m.size(); ++d) m[d] = (m[d] + (b ? b->sum[d] : 0.0)) / rows;
    return m;
}

// Mean hidden states of the two windows and (causal) their summed next-base log-likelihoods,
// up to a term they share. A streaming model runs the bases both windows begin with once and
// continues each window from the state after them (the REF and ALT windows of a variant share
// the bases before it: half the window, or the half after it for the reverse strand).
Scorer::PairScores Scorer::run_pair(const std::vector<std::int32_t>& ref,
                                    const std::vector<std::int32_t>& alt) const {
    const auto shared = static_cast<std::int64_t>(
        std::mismatch(ref.begin(), ref.end(), alt.begin(), alt.end()).first - ref.begin());
    const auto n = static_cast<std::int64_t>(std::min(ref.size(), alt.size()));
    if (!model_.streams() || shared == 0 || shared == n) {
        const Pass r = run(ref, model_.new_state().get()), a = run(alt, model_.new_state().get());
        return {mean_of(r), r.ll, mean_of(a), a.ll};
    }
    const auto state = model_.new_state();
    const Pass head = run(std::span(ref).first(static_cast<size_t>(shared)), state.get());
    auto rest = [&](const std::vector<std::int32_t>& ids) {
        const auto continued = copy_state(model_, *state, backend_);
        const Pass tail = run(std::span(ids).subspan(static_cast<size_t>(shared)), continued.get());
        // The head's own terms are the same for both windows and left out of both.
        const double ll =
            model_.causal()
                ? next_base_ll(head.last_logits.data(), ids[static_cast<size_t>(shared)]) + tail.ll
                : 0.0;
        return std::pair(mean_of(head, &tail), ll);
    };
    auto [mr, lr] = rest(ref);
    auto [ma, la] = rest(alt);
    return {std::move(mr), lr, std::move(ma), la};
}

// Masked marginal ln p(alt) − ln p(ref) at `pos` of the REF window (bidirectional models).
double Scorer::masked_llr(std::vector<std::int32_t> ids,
                          std::int64_t pos,
                          std::int32_t ref,
                          std::int32_t alt) const {
    ids[static_cast<size_t>(pos)] = token::kMask;
    // Only the masked position's logits come back to the host.
    const Tensor h = model_.forward_activation(backend_, ids, nullptr);
    const Tensor lg = model_.logits(backend_, h.slice_rows(pos, pos + 1));
    return acgt_log_prob(lg.f32(), alt) - acgt_log_prob(lg.f32(), ref);
}

}  // namespace dnassm::app
