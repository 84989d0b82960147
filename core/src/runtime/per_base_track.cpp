// Per-base tracks (see per_base_track.h): row i of an LM's logits predicts base i + 1; a
// segmentation head's row i describes base i itself.
#include "dnassm/per_base_track.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dnassm/error.h"
#include "dnassm/record_batches.h"
#include "dnassm/task_head.h"
#include "dnassm/tokenizer.h"

namespace dnassm {

namespace {

// Fills value for the base predicted by logits_row; returns false where undefined.
bool lm_value(const float* logits_row, std::int32_t next_id, TrackKind kind, float& value) {
    if (kind == TrackKind::kLoglik || kind == TrackKind::kProb) {
        if (next_id < token::kA || next_id > token::kT) return false;
        const double ll = acgt_log_prob(logits_row, next_id);
        value = static_cast<float>(kind == TrackKind::kProb ? std::exp(ll) : ll);
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

}  // namespace

void check_masked_lm_settings(std::int64_t mlm_context,
                              std::int64_t mlm_spacing,
                              ErrorKind kind,
                              const std::string& where,
                              const char* context_name,
                              const char* spacing_name) {
    DNASSM_CHECK(mlm_context >= 1, kind, where + context_name + " must be at least 1");
    // Spacing 1 would mask every base of the window.
    DNASSM_CHECK(mlm_spacing == 0 || mlm_spacing >= 2, kind,
                 where + spacing_name + " must be 0 (a pass per base) or at least 2");
}

namespace {

// Base t's value of each masked-LM track, from the logits row that predicts it with it masked.
void put_values(const float* logits_row,
                const std::vector<std::int32_t>& tok,
                std::int64_t t,
                const std::vector<const TrackSpec*>& specs,
                std::vector<std::vector<float>*>& out) {
    for (size_t k = 0; k < specs.size(); ++k) {
        float v = 0;
        if (lm_value(logits_row, tok[static_cast<size_t>(t)], specs[k]->kind, v))
            (*out[k])[static_cast<size_t>(t)] = v;
    }
}

// Masked LM tracks: each base predicted with itself masked (one forward pass per base, shared by
// all the tracks asked for). The passes are short records: on the CPU they run side by side, a
// pass per thread (dnassm/record_batches.h), each value that of a run by itself, for any -@.
void masked_values(const Model& model,
                   Backend& backend,
                   const std::vector<std::int32_t>& tok,
                   const std::vector<const TrackSpec*>& specs,
                   std::vector<std::vector<float>*>& out,
                   Progress* progress,
                   WantedBases wanted) {
    const auto L = static_cast<std::int64_t>(tok.size());
    const std::int64_t context = specs.front()->mlm_context;
    // Each pass writes its own base's values, so passes side by side write disjoint elements.
    RecordBatches<std::int64_t> passes(
        backend, progress,
        [&](std::int64_t& t, Progress* p) {
            const std::int64_t b = std::max<std::int64_t>(0, t - context),
                               e = std::min(L, t + context + 1);
            std::vector<std::int32_t> win(tok.begin() + b, tok.begin() + e);
            win[static_cast<size_t>(t - b)] = token::kMask;
            // Only the masked position's logits come back to the host.
            const Tensor h = model.forward_activation(backend, win, nullptr);
            const Tensor logits = model.logits(backend, h.slice_rows(t - b, t - b + 1));
            put_values(logits.f32(), tok, t, specs, out);
            if (p) p->advance(1);
        },
        [](std::int64_t&) {});
    for (std::int64_t t = wanted.beg; t < wanted.end; ++t)
        passes.add(t, std::min(L, t + context + 1) - std::max<std::int64_t>(0, t - context), 1);
    passes.finish();
}

// The first position from x on that is ≡ residue (mod K).
std::int64_t first_from(std::int64_t x, std::int64_t residue, std::int64_t K) {
    return x + ((residue - x) % K + K) % K;
}

// Masked LM tracks, approximated: the contig in cores of masked_core_bases(context), each run
// with `context` bases on either side, `spacing` times: pass o masks every base of the window at a
// contig position ≡ o (mod spacing) and predicts the core's wanted bases among them together.
// Each base is predicted with at least `context` bases either side (as far as the sequence
// goes), and the bases spacing, 2·spacing, ... away from it masked too.
void spaced_masked_values(const Model& model,
                          Backend& backend,
                          const std::vector<std::int32_t>& tok,
                          const std::vector<const TrackSpec*>& specs,
                          std::vector<std::vector<float>*>& out,
                          Progress* progress,
                          WantedBases wanted) {
    const auto L = static_cast<std::int64_t>(tok.size());
    const std::int64_t context = specs.front()->mlm_context, K = specs.front()->mlm_spacing,
                       core = masked_core_bases(context), at = wanted.before;  // ids[0]'s place
    struct Pass {
        std::int64_t beg, end, residue;   // the core's wanted bases, in the sequence
        std::int64_t core_beg, core_end;  // the core, as far as the sequence goes
        std::int64_t win_beg, win_end;    // its window
    };
    RecordBatches<Pass> passes(
        backend, progress,
        [&](Pass& pass, Progress* p) {
            std::vector<std::int32_t> win(tok.begin() + pass.win_beg, tok.begin() + pass.win_end);
            for (std::int64_t t = first_from(at + pass.win_beg, pass.residue, K) - at;
                 t < pass.win_end; t += K)
                win[static_cast<size_t>(t - pass.win_beg)] = token::kMask;
            const Tensor h = model.forward_activation(backend, win, nullptr);
            // The core's rows (all of them, so that its logits are those of any run of it).
            const Tensor logits = model.logits(
                backend, h.slice_rows(pass.core_beg - pass.win_beg, pass.core_end - pass.win_beg));
            const std::int64_t V = logits.dim(1);
            std::int64_t done = 0;
            for (std::int64_t t = first_from(at + pass.beg, pass.residue, K) - at; t < pass.end;
                 t += K, ++done)
                put_values(logits.f32() + (t - pass.core_beg) * V, tok, t, specs, out);
            if (p) p->advance(done);
        },
        [](Pass&) {});
    // Cores at multiples of `core` on the contig, clipped to the wanted bases.
    for (std::int64_t c = (at + wanted.beg) / core * core - at; c < wanted.end; c += core) {
        const std::int64_t beg = std::max(c, wanted.beg), end = std::min(wanted.end, c + core);
        const std::int64_t win_beg = std::max<std::int64_t>(0, c - context),
                           win_end = std::min(L, c + core + context);
        for (std::int64_t o = 0; o < K; ++o) {
            const std::int64_t first = first_from(at + beg, o, K) - at;
            if (first < end)
                passes.add({beg, end, o, std::max<std::int64_t>(0, c), std::min(L, c + core),
                            win_beg, win_end},
                           win_end - win_beg, (end - 1 - first) / K + 1);
        }
    }
    passes.finish();
}

// One strand: the masked-LM tracks by masked_values, all others from one streamed/tiled pass.
std::vector<std::vector<float>> strand_values(
    const Model& model,
    Backend& backend,
    const std::vector<std::int32_t>& tok,
    std::span<const TrackSpec> specs,
    Progress* progress,
    const std::function<void(std::int64_t, const Tensor&)>& on_hidden,
    WantedBases wanted) {
    const auto L = static_cast<std::int64_t>(tok.size());
    const std::int64_t V = model.info().vocab_size;
    std::vector<std::vector<float>> vals(
        specs.size(),
        std::vector<float>(static_cast<size_t>(L), std::numeric_limits<float>::quiet_NaN()));
    std::vector<const TrackSpec*> masked, streamed;
    std::vector<std::vector<float>*> masked_out, streamed_out;
    for (size_t k = 0; k < specs.size(); ++k) {
        const bool is_masked = !model.causal() && specs[k].kind != TrackKind::kHeadClass;
        (is_masked ? masked : streamed).push_back(&specs[k]);
        (is_masked ? masked_out : streamed_out).push_back(&vals[k]);
    }
    if (!masked.empty())
        (masked.front()->mlm_spacing > 0 ? spaced_masked_values : masked_values)(
            model, backend, tok, masked, masked_out, progress, wanted);
    if (streamed.empty() && !on_hidden) return vals;
    const TaskHead* head = model.task_head();
    const RunOptions& run = specs.empty() ? RunOptions{} : specs.front().run;
    // The head runs on the host and needs the hidden states there; LM tracks need only the
    // logits, which the backend computes.
    RowsWanted rows{.hidden = static_cast<bool>(on_hidden), .logits = false};
    for (const TrackSpec* sp : streamed)
        (sp->kind == TrackKind::kHeadClass ? rows.hidden : rows.logits) = true;
    run_sequence(model, backend, tok, run, progress, rows, [&](const RowBlock& b) {
        const std::int64_t offset = b.offset;
        if (on_hidden) on_hidden(offset, b.hidden);
        Tensor probs;
        for (size_t k = 0; k < streamed.size(); ++k) {
            std::vector<float>& v = *streamed_out[k];
            if (streamed[k]->kind == TrackKind::kHeadClass) {  // row i is base offset + i itself
                if (probs.empty()) probs = head->outputs(b.hidden);
                for (std::int64_t i = 0; i < b.hidden.dim(0); ++i)
                    v[static_cast<size_t>(offset + i)] =
                        probs.f32()[i * head->n_classes() + streamed[k]->head_class];
                continue;
            }
            for (std::int64_t i = 0; i < b.logits.dim(0) && offset + i + 1 < L; ++i) {
                const std::int64_t pos = offset + i + 1;
                float x = 0;
                if (lm_value(b.logits.f32() + i * V, tok[static_cast<size_t>(pos)],
                             streamed[k]->kind, x))
                    v[static_cast<size_t>(pos)] = x;
            }
        }
    });
    return vals;
}

}  // namespace

std::vector<std::string> track_names(const Model& model) {
    std::vector<std::string> names;
    const TaskHead* head = model.task_head();
    if (head && !head->per_sequence())  // a per-base head's outputs: p_<class>, or its value
        for (const auto& name : head->output_names()) names.push_back(name);
    names.push_back("loglik");
    names.push_back("entropy");
    names.push_back("prob");
    return names;
}

TrackSpec track_spec(const Model& model, const std::string& name) {
    TrackSpec spec;
    const TaskHead* head = model.task_head();
    if (head && !head->per_sequence()) {
        const auto outputs = head->output_names();
        for (size_t c = 0; c < outputs.size(); ++c)
            if (name == outputs[c]) {
                spec.kind = TrackKind::kHeadClass;
                spec.head_class = static_cast<std::int64_t>(c);
                return spec;
            }
    }
    if (name == "loglik" || name == "entropy" || name == "prob") {
        spec.kind = name == "loglik" ? TrackKind::kLoglik
                    : name == "prob" ? TrackKind::kProb
                                     : TrackKind::kEntropy;
        return spec;
    }
    std::string valid;
    for (const auto& n : track_names(model)) valid += (valid.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::kUsage, "--track: '" + name + "' is not a track of " +
                                       model.info().path + " (" + valid + ")");
}

namespace {

// wanted with its end resolved and both ends clamped to [0, L].
WantedBases clamped(WantedBases w, std::int64_t L) {
    if (w.end < 0 || w.end > L) w.end = L;
    w.beg = std::clamp<std::int64_t>(w.beg, 0, w.end);
    return w;
}

}  // namespace

std::int64_t per_base_work(const Model& model,
                           std::int64_t L,
                           std::span<const TrackSpec> specs,
                           bool with_hidden,
                           WantedBases wanted) {
    bool masked = false, streamed = with_hidden;
    for (const auto& sp : specs)
        (!model.causal() && sp.kind != TrackKind::kHeadClass ? masked : streamed) = true;
    const bool rc = !specs.empty() && specs.front().rc;
    const WantedBases w = clamped(wanted, L);
    return ((masked ? w.end - w.beg : 0) + (streamed ? L : 0)) * (rc ? 2 : 1);
}

std::vector<std::vector<float>> per_base_tracks(
    const Model& model,
    Backend& backend,
    const std::vector<std::int32_t>& ids,
    std::span<const TrackSpec> specs,
    Progress* progress,
    const std::function<void(std::int64_t, const Tensor&)>& on_hidden,
    WantedBases wanted) {
    for (const auto& spec : specs) {
        DNASSM_CHECK(spec.kind != TrackKind::kHeadClass ||
                         (model.task_head() && spec.head_class >= 0 &&
                          spec.head_class < model.task_head()->n_classes()),
                     ErrorKind::kUsage, model.info().path + ": no segmentation head class to draw");
        DNASSM_CHECK(spec.rc == specs.front().rc && spec.mlm_context == specs.front().mlm_context &&
                         spec.mlm_spacing == specs.front().mlm_spacing,
                     ErrorKind::kInternal,
                     "per_base_tracks: tracks of one call share rc and context");
        DNASSM_CHECK(spec.mlm_spacing == 0 || spec.mlm_spacing >= 2, ErrorKind::kUsage,
                     "--mlm-spacing must be 0 (a pass per base) or at least 2");
    }
    const bool rc = !specs.empty() && specs.front().rc;
    DNASSM_CHECK(!rc || (specs.front().run.resume == nullptr && specs.front().run.save_at < 0),
                 ErrorKind::kUsage,
                 "--rc reads each base's right context, which a saved stream state does not hold");
    const auto L = static_cast<std::int64_t>(ids.size());
    const WantedBases w = clamped(wanted, L);
    auto vals = strand_values(model, backend, ids, specs, progress, on_hidden, w);
    if (!rc) return vals;
    std::vector<std::int32_t> rc_ids = ids;
    reverse_complement(rc_ids);
    // The same bases, counted from the other end.
    const auto r = strand_values(model, backend, rc_ids, specs, progress, {},
                                 {L - w.end, L - w.beg, w.after, w.before});
    for (size_t k = 0; k < vals.size(); ++k)
        for (std::int64_t p = 0; p < L; ++p) {
            const float a = vals[k][static_cast<size_t>(p)],
                        b = r[k][static_cast<size_t>(L - 1 - p)];
            vals[k][static_cast<size_t>(p)] = std::isnan(a)   ? b
                                              : std::isnan(b) ? a
                                                              : 0.5f * (a + b);
        }
    return vals;
}

}  // namespace dnassm
