#include "train/masked_lm.h"

#include <algorithm>
#include <cmath>

#include "dnassm/error.h"
#include "dnassm/model.h"
#include "dnassm/tokenizer.h"

#include "model/window_activations.h"
#include "train/splitmix.h"
#include "train/trainable.h"

namespace dnassm {

namespace {

// Validation masks differ per window but not per evaluation or per run.
constexpr std::uint64_t kValidationSeed = 0x5eed0fca11ULL;

}  // namespace

MaskedWindow mask_window(std::span<const std::int32_t> ids, std::uint64_t seed, double prob) {
    MaskedWindow w;
    w.input.assign(ids.begin(), ids.end());
    w.targets.assign(ids.size(), -1);
    for (size_t t = 0; t < ids.size(); ++t) {
        const std::int32_t id = ids[t];
        if (id < token::kA || id > token::kT) continue;
        // Three draws per position from one 64-bit key of (seed, t).
        const std::uint64_t key = splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(t)));
        if (splitmix_uniform(key) >= prob) continue;
        w.targets[t] = id;
        ++w.chosen;
        const double how = splitmix_uniform(key + 1);
        if (how < 0.8)
            w.input[t] = token::kMask;
        else if (how < 0.9)
            w.input[t] = token::kA + static_cast<std::int32_t>(splitmix64(key + 2) % 4);
    }
    return w;
}

double masked_lm_loss(const Trainable& model,
                      std::span<const std::int32_t> input,
                      std::span<const std::int32_t> targets,
                      std::map<std::string, Tensor>* grads,
                      Backend& be,
                      bool recompute) {
    const std::int64_t L = static_cast<std::int64_t>(input.size());
    DNASSM_CHECK(L >= 1 && targets.size() == input.size(), ErrorKind::kInput,
                 "masked LM loss: input and targets must be non-empty and of one length");
    const auto tape = model.forward(input, be, recompute && grads);
    const std::int64_t V = model.lm_head().dim(0);
    const WindowActivations acts(be, L);
    const Tensor logits = acts.make(V);
    model.head_logits(be, tape->hidden, logits);
    // V is small (16): the loss is computed on the host, from the logits' copy.
    std::vector<float> lg(static_cast<size_t>(L * V));
    be.download(logits.f32(), lg.data(), L * V);
    std::vector<float> dl(grads ? lg.size() : 0, 0.0f);
    double nats = 0.0;
    std::int64_t chosen = 0;
    for (std::int64_t t = 0; t < L; ++t) {
        const std::int32_t y = targets[static_cast<size_t>(t)];
        if (y < 0) continue;
        DNASSM_CHECK(y < V, ErrorKind::kInput, "masked LM loss: target outside the vocabulary");
        const float* row = lg.data() + t * V;
        const double m = *std::max_element(row, row + V);
        double z = 0.0;
        for (std::int64_t v = 0; v < V; ++v) z += std::exp(row[v] - m);
        nats -= row[y] - m - std::log(z);
        ++chosen;
        if (grads)
            for (std::int64_t v = 0; v < V; ++v)
                dl[static_cast<size_t>(t * V + v)] =
                    static_cast<float>(std::exp(row[v] - m) / z - (v == y ? 1.0 : 0.0));
    }
    if (chosen == 0) return 0.0;
    if (!grads) return nats / static_cast<double>(chosen);
    const float scale = 1.0f / static_cast<float>(chosen);
    for (float& d : dl) d *= scale;
    const Tensor dlogits = acts.upload(dl.data(), V);
    const Tensor dhidden = acts.zeros(tape->hidden.dim(1));
    model.head_backward(be, tape->hidden, dlogits.f32(), dhidden.f32(), *grads);
    model.backward(*tape, input, dhidden.f32(), *grads);
    return nats / static_cast<double>(chosen);
}

double masked_bits_per_base(const Model& model,
                            const std::vector<std::int32_t>& ids,
                            std::int64_t window,
                            double prob,
                            Backend& be) {
    const std::int64_t L = static_cast<std::int64_t>(ids.size());
    double nats = 0.0;
    std::int64_t n = 0;
    for (std::int64_t t = 0; t < L; t += window) {
        const std::int64_t m = std::min(window, L - t);
        const MaskedWindow w = mask_window({ids.data() + t, static_cast<size_t>(m)},
                                           kValidationSeed + static_cast<std::uint64_t>(t), prob);
        if (w.chosen == 0) continue;
        const Tensor h = model.forward(be, w.input, nullptr, nullptr);
        const Tensor lg = model.logits(be, h);
        const std::int64_t V = lg.dim(1);
        for (std::int64_t i = 0; i < m; ++i) {
            const std::int32_t y = w.targets[static_cast<size_t>(i)];
            if (y < 0) continue;
            nats -= acgt_log_prob(lg.f32() + i * V, y);
            ++n;
        }
    }
    return n ? nats / static_cast<double>(n) / std::log(2.0) : 0.0;
}

}  // namespace dnassm
