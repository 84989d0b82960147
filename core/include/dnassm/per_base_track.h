// Per-base tracks of a model over one tokenized sequence — what `dnassm predict` writes and the
// explorer draws:
//   loglik    = ln p(x_t | x_<t), the next-base distribution restricted to A/C/G/T, renormalised
//   prob      = p(x_t | x_<t) itself, the probability of the observed base (exp of loglik)
//   entropy   = entropy (nats) of that 4-way distribution
//   p_<class> = a fine-tuned segmentation head's probability of that class at each base
// Causal LMs predict base t from the hidden state at t−1, so the first base has no value;
// loglik and prob are undefined where the observed base is not A/C/G/T. Masked (bidirectional) LMs
// give masked marginals: base t is replaced by [MASK] and predicted from mlm_context bases on each
// side (one forward pass per base). mlm_spacing K > 0 approximates them in K passes per core of
// bases (masked_core_bases, cores at multiples of it on the contig, run with mlm_context bases
// on either side): pass o masks every base at a contig position ≡ o (mod K) and predicts those of
// the core together. With rc the reverse-complement
// strand gives a second value per base (predicted from the bases to its right); the track is the
// mean of the two where both exist, else the one that does.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/model.h"
#include "dnassm/progress.h"
#include "dnassm/sequence_runner.h"

namespace dnassm {

enum class TrackKind { kLoglik, kProb, kEntropy, kHeadClass };

struct TrackSpec {
    TrackKind kind = TrackKind::kLoglik;
    std::int64_t head_class = -1;  // kHeadClass: index into the task head's outputs
    bool rc = false;
    std::int64_t mlm_context = 512;
    std::int64_t mlm_spacing =
        0;  // 0: a masked pass per base; K >= 2: bases K apart masked together
    RunOptions run;
};

/// The bases of a core of spaced masked passes (mlm_spacing > 0): a run whose sequence has at
/// least this + mlm_context bases of context either side of a base has the contig's value there.
[[nodiscard]] constexpr std::int64_t masked_core_bases(std::int64_t mlm_context) {
    return 8 * mlm_context;
}

/// A masked LM's settings as its callers name them (`--mlm-context` on the command line,
/// `model.mlm_context` in a session): Error(kind) "<where><context_name> must be at least 1" or
/// "<where><spacing_name> must be 0 (a pass per base) or at least 2" unless they can be used.
void check_masked_lm_settings(std::int64_t mlm_context,
                              std::int64_t mlm_spacing,
                              ErrorKind kind,
                              const std::string& where,
                              const char* context_name,
                              const char* spacing_name);

/// The tracks a model offers, by name: loglik, entropy and prob for LMs, and first p_<class> for
/// every class of a segmentation head, or a track head's value.
[[nodiscard]] std::vector<std::string> track_names(const Model& model);

/// The spec for a track name of track_names(model); Error(kUsage) naming the valid ones otherwise.
[[nodiscard]] TrackSpec track_spec(const Model& model, const std::string& name);

/// The bases [beg, end) of a sequence whose values are wanted (end < 0: to its end), as when
/// predict runs a region with --context around it. Others may be left NaN: a masked LM runs its
/// one pass per base only for these (the context still feeds every pass). `before` and `after`:
/// the bases of its contig before and after the sequence, which place mlm_spacing's cores and
/// masks on the contig, so that a chunk run with enough context gets the whole contig's values.
struct WantedBases {
    std::int64_t beg = 0, end = -1;
    std::int64_t before = 0, after = 0;
};

/// Several tracks at once (sharing rc and mlm_context): one streamed/tiled pass per strand serves
/// every LM and head track (a masked LM's tracks share one masked pass). on_hidden, when given,
/// sees the forward strand's hidden rows (offset, {n, D}) of that pass — e.g. for embeddings.
[[nodiscard]] std::vector<std::vector<float>> per_base_tracks(
    const Model& model,
    Backend& backend,
    const std::vector<std::int32_t>& ids,
    std::span<const TrackSpec> specs,
    Progress* progress,
    const std::function<void(std::int64_t, const Tensor&)>& on_hidden = {},
    WantedBases wanted = {});

/// Bases of progress per_base_tracks reports for a sequence of length L.
[[nodiscard]] std::int64_t per_base_work(const Model& model,
                                         std::int64_t L,
                                         std::span<const TrackSpec> specs,
                                         bool with_hidden,
                                         WantedBases wanted = {});

}  // namespace dnassm
