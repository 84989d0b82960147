#include "variant_scorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "dnassm/stream_state.h"
#include "dnassm/tokenizer.h"

namespace dnassm::app {

Edit differing_span(std::span<const std::int32_t> ref, std::span<const std::int32_t> alt) {
    const std::int64_t n = static_cast<std::int64_t>(std::min(ref.size(), alt.size()));
    std::int64_t begin = 0, suffix = 0;
    while (begin < n && ref[static_cast<size_t>(begin)] == alt[static_cast<size_t>(begin)]) ++begin;
    while (suffix < n - begin && ref[ref.size() - 1 - static_cast<size_t>(suffix)] ==
                                     alt[alt.size() - 1 - static_cast<size_t>(suffix)])
        ++suffix;
    return {begin, static_cast<std::int64_t>(ref.size()) - begin - suffix,
            static_cast<std::int64_t>(alt.size()) - begin - suffix};
}

Edit mirrored(const Edit& e, std::int64_t ref_size) {
    // The bases after the edit are the same number in both windows.
    return {ref_size - e.begin - e.ref_len, e.ref_len, e.alt_len};
}

Scores Scorer::score(const std::vector<std::int32_t>& ref,
                     const std::vector<std::int32_t>& alt,
                     const Edit& edit) const {
    Scores s;
    const auto [mr, ll_ref, ma, ll_alt] = run_pair(ref, alt, edit.begin);
    double dot = 0, nr = 0, na = 0, l2 = 0;
    for (size_t d = 0; d < mr.size(); ++d) {
        dot += mr[d] * ma[d];
        nr += mr[d] * mr[d];
        na += ma[d] * ma[d];
        l2 += (mr[d] - ma[d]) * (mr[d] - ma[d]);
    }
    s.l2 = std::sqrt(l2);
    s.cos = nr > 0 && na > 0 ? 1.0 - dot / std::sqrt(nr * na) : 0.0;
    s.llr = model_.causal() ? ll_alt - ll_ref : masked_llr(ref, alt, edit);
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
        for (std::int64_t t = 0; t + 1 < L; ++t) p.ll += base_ll(lg.f32() + t * V, ids[t + 1]);
        p.last_logits.assign(lg.f32() + (L - 1) * V, lg.f32() + L * V);
    }
    return p;
}

// ln p(base) from a logits row, renormalised over ACGT; 0 for N and other tokens.
double Scorer::base_ll(const float* logits_row, std::int32_t base) {
    return base >= token::kA && base <= token::kT ? acgt_log_prob(logits_row, base) : 0.0;
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
                                    const std::vector<std::int32_t>& alt,
                                    std::int64_t shared) const {
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
                ? base_ll(head.last_logits.data(), ids[static_cast<size_t>(shared)]) + tail.ll
                : 0.0;
        return std::pair(mean_of(head, &tail), ll);
    };
    auto [mr, lr] = rest(ref);
    auto [ma, la] = rest(alt);
    return {std::move(mr), lr, std::move(ma), la};
}

// Masked LMs: Σ ln p(base) over the ALT window's differing bases, all masked at once, minus the
// same over the REF window's: for an SNV the masked marginal ln p(ALT) − ln p(REF), for several
// substituted bases ESM-1v's masked marginal (one pass, as the masked windows are the same), and
// for an indel the two windows' masked spans, one pass each (their contexts are the same).
double Scorer::masked_llr(const std::vector<std::int32_t>& ref,
                          const std::vector<std::int32_t>& alt,
                          const Edit& edit) const {
    if (edit.ref_len == edit.alt_len) {
        const auto ll = masked_span_ll(ref, edit.begin, edit.ref_len, {&ref, &alt});
        return ll[1] - ll[0];
    }
    return masked_span_ll(alt, edit.begin, edit.alt_len, {&alt})[0] -
           masked_span_ll(ref, edit.begin, edit.ref_len, {&ref})[0];
}

// `window` with bases [begin, begin + len) masked, run once: for each of `truths`, Σ ln p(its
// base) over those positions.
std::vector<double> Scorer::masked_span_ll(
    std::vector<std::int32_t> window,
    std::int64_t begin,
    std::int64_t len,
    std::initializer_list<const std::vector<std::int32_t>*> truths) const {
    std::vector<double> ll(truths.size(), 0.0);
    if (len == 0) return ll;
    std::fill_n(window.begin() + begin, len, token::kMask);
    // Only the masked positions' logits come back to the host.
    const Tensor h = model_.forward_activation(backend_, window, nullptr);
    const Tensor lg = model_.logits(backend_, h.slice_rows(begin, begin + len));
    const std::int64_t V = lg.dim(1);
    size_t k = 0;
    for (const std::vector<std::int32_t>* truth : truths) {
        for (std::int64_t i = 0; i < len; ++i)
            ll[k] += base_ll(lg.f32() + i * V, (*truth)[static_cast<size_t>(begin + i)]);
        ++k;
    }
    return ll;
}

}  // namespace dnassm::app
