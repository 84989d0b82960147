// The two trainable families behind one interface, and the next-base LM loss over it.
#include "train/trainable.h"

#include <cmath>

#include <malloc.h>

#include "dnassm/error.h"

#include "model/window_activations.h"
#include "train/caduceus_grad.h"
#include "train/hyena_grad.h"
#include "train/mamba_grad.h"

namespace dnassm {

namespace {

class MambaTrainable final : public Trainable {
  public:
    explicit MambaTrainable(MambaModel& m) : m_(m) {}
    std::unique_ptr<TrainTape> forward(std::span<const std::int32_t> ids,
                                       Backend& be,
                                       bool recompute) const override {
        return std::make_unique<MambaTape>(mamba_forward_tape(m_, ids, be, recompute));
    }
    void backward(const TrainTape& tape,
                  std::span<const std::int32_t> ids,
                  const float* dhidden,
                  std::map<std::string, Tensor>& grads) const override {
        mamba_backward(m_, dynamic_cast<const MambaTape&>(tape), ids, dhidden, grads);
    }
    std::map<std::string, Tensor> parameter_grads(std::map<std::string, Tensor> grads,
                                                  Backend& be) const override {
        return mamba_parameter_grads(m_, std::move(grads), be);
    }
    std::map<std::string, Tensor> parameters() const override { return m_.parameters(); }
    void refresh_derived() override { m_.refresh_derived(); }
    const Tensor& lm_head() const override { return m_.lm_head(); }
    std::string lm_head_grad_name() const override {
        return m_.lm_head().f32() == m_.embedding().f32() ? "embedding.weight" : "lm_head.weight";
    }
    void save(const std::string& dir, const nlohmann::json& provenance) const override {
        m_.save(dir, provenance);
    }

  private:
    MambaModel& m_;
};

class HyenaTrainable final : public Trainable {
  public:
    explicit HyenaTrainable(HyenaModel& m) : m_(m) {}
    std::unique_ptr<TrainTape> forward(std::span<const std::int32_t> ids,
                                       Backend& be,
                                       bool recompute) const override {
        return std::make_unique<HyenaTape>(hyena_forward_tape(m_, ids, be, recompute));
    }
    void backward(const TrainTape& tape,
                  std::span<const std::int32_t> ids,
                  const float* dhidden,
                  std::map<std::string, Tensor>& grads) const override {
        hyena_backward(m_, dynamic_cast<const HyenaTape&>(tape), ids, dhidden, grads);
    }
    std::map<std::string, Tensor> parameters() const override { return m_.parameters(); }
    const Tensor& lm_head() const override { return m_.lm_head(); }
    std::string lm_head_grad_name() const override {
        return m_.lm_head().f32() == m_.embedding().f32() ? "embeddings.word_embeddings.weight"
                                                          : "lm_head.weight";
    }
    void save(const std::string& dir, const nlohmann::json& provenance) const override {
        m_.save(dir, provenance);
    }

  private:
    HyenaModel& m_;
};

class CaduceusTrainable final : public Trainable {
  public:
    explicit CaduceusTrainable(CaduceusModel& m) : m_(m) {}
    std::unique_ptr<TrainTape> forward(std::span<const std::int32_t> ids,
                                       Backend& be,
                                       bool recompute) const override {
        return std::make_unique<CaduceusTape>(caduceus_forward_tape(m_, ids, be, recompute));
    }
    void backward(const TrainTape& tape,
                  std::span<const std::int32_t> ids,
                  const float* dhidden,
                  std::map<std::string, Tensor>& grads) const override {
        caduceus_backward(m_, dynamic_cast<const CaduceusTape&>(tape), ids, dhidden, grads);
    }
    std::map<std::string, Tensor> parameter_grads(std::map<std::string, Tensor> grads,
                                                  Backend& be) const override {
        return a_log_grads(std::move(grads), be, [&](const std::string& name) -> const Tensor& {
            const std::int64_t layer = std::stoll(name.substr(7, name.find('.', 7) - 7));
            const bool reverse = name.find("mamba_rev.") != std::string::npos;
            return reverse ? m_.layer(layer).rev.A : m_.layer(layer).fwd.A;
        });
    }
    std::map<std::string, Tensor> parameters() const override { return m_.parameters(); }
    void refresh_derived() override { m_.refresh_derived(); }
    bool causal_lm() const override { return false; }
    const Tensor& lm_head() const override { return m_.embedding(); }
    std::string lm_head_grad_name() const override { return m_.embedding_name(); }
    void head_logits(Backend& be, const Tensor& hidden, const Tensor& logits) const override {
        m_.logits_into(be, hidden, logits);
    }
    void head_backward(Backend& be,
                       const Tensor& hidden,
                       const float* dlogits,
                       float* dhidden,
                       std::map<std::string, Tensor>& grads) const override {
        caduceus_head_backward(m_, be, hidden, dlogits, dhidden, grad_sink(grads, be));
    }
    void save(const std::string& dir, const nlohmann::json& provenance) const override {
        m_.save(dir, provenance);
    }

  private:
    CaduceusModel& m_;
};

}  // namespace

namespace {

LinearArgs head_args(const Tensor& hidden, const Tensor& weight, float* logits) {
    return {.M = hidden.dim(0),
            .K = weight.dim(1),
            .N = weight.dim(0),
            .x = hidden.f32(),
            .ld_x = hidden.dim(1),
            .weight = weight.f32(),
            .y = logits,
            .ld_y = weight.dim(0)};
}

}  // namespace

void Trainable::head_logits(Backend& be, const Tensor& hidden, const Tensor& logits) const {
    be.linear(head_args(hidden, lm_head(), logits.f32()));
}

void Trainable::head_backward(Backend& be,
                              const Tensor& hidden,
                              const float* dlogits,
                              float* dhidden,
                              std::map<std::string, Tensor>& grads) const {
    const Tensor& W = lm_head();
    float* dhead = grad_sink(grads, be)(lm_head_grad_name(), W);
    be.linear_backward(head_args(hidden, W, nullptr), dlogits, dhidden, dhead, nullptr);
}

GradSink grad_sink(std::map<std::string, Tensor>& grads, Backend& be) {
    return [&grads, &be](const std::string& name, const Tensor& like) -> float* {
        auto it = grads.find(name);
        if (it == grads.end()) {
            Tensor g = be.activation(like.shape());
            be.zero(g.f32(), g.numel());
            it = grads.emplace(name, std::move(g)).first;
        }
        return it->second.f32();
    };
}

void retain_freed_memory() {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

std::unique_ptr<Trainable> make_trainable(Model& model) {
    if (auto* m = dynamic_cast<MambaModel*>(&model)) return std::make_unique<MambaTrainable>(*m);
    if (auto* h = dynamic_cast<HyenaModel*>(&model)) return std::make_unique<HyenaTrainable>(*h);
    if (auto* c = dynamic_cast<CaduceusModel*>(&model))
        return std::make_unique<CaduceusTrainable>(*c);
    throw Error(ErrorKind::kUsage,
                model.info().path + ": training a " + model.info().family +
                    " model is not supported (Mamba, HyenaDNA and Caduceus are)");
}

double lm_loss(const Trainable& model,
               std::span<const std::int32_t> ids,
               std::map<std::string, Tensor>* grads,
               Backend& be,
               bool recompute) {
    const std::int64_t L = static_cast<std::int64_t>(ids.size());
    DNASSM_CHECK(L >= 2, ErrorKind::kInput, "need at least 2 tokens for next-token loss");
    DNASSM_CHECK(model.causal_lm(), ErrorKind::kUsage,
                 "next-base training needs a causal LM (Mamba, HyenaDNA); Caduceus is a masked LM");
    const auto tape = model.forward(ids, be, recompute && grads);
    const std::int64_t V = model.lm_head().dim(0);
    const WindowActivations acts(be, L);
    const Tensor logits = acts.make(V);
    model.head_logits(be, tape->hidden, logits);

    const Tensor dlogits = grads ? acts.make(V) : Tensor();
    const double loss =
        be.next_token_loss(logits.f32(), L, V, ids.data(), grads ? dlogits.f32() : nullptr);
    if (!grads) return loss;
    const Tensor dhidden = acts.zeros(tape->hidden.dim(1));
    model.head_backward(be, tape->hidden, dlogits.f32(), dhidden.f32(), *grads);
    model.backward(*tape, ids, dhidden.f32(), *grads);
    return loss;
}

}  // namespace dnassm
