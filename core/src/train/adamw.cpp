#include "train/adamw.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "dnassm/error.h"

#include "model/window_activations.h"

namespace dnassm {

bool decays(const std::string& name, const Tensor& t) {
    auto ends_with = [&](const std::string& suf) {
        return name.size() >= suf.size() &&
               name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
    };
    if (t.rank() < 2) return false;  // norms, biases, D
    // HyenaDNA trains its implicit filter (Sin MLP, projection) without weight decay.
    return !(ends_with("A_log") || name.find("norm") != std::string::npos ||
             name.find("filter_fn.") != std::string::npos);
}

double learning_rate(const AdamWOptions& o, std::int64_t step) {
    if (step < o.warmup_steps)
        return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
    const double span =
        static_cast<double>(std::max<std::int64_t>(1, o.total_steps - o.warmup_steps));
    const double p = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
    const double floor = o.min_lr_fraction * o.lr;
    return floor + (o.lr - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
}

double AdamW::step(std::map<std::string, Tensor>& params,
                   const std::map<std::string, Tensor>& grads,
                   Backend& be,
                   double grad_scale) {
    double sq = 0.0;
    std::vector<float> host;  // a gradient held by the backend, brought down for the norm
    for (const auto& [name, g] : grads) {
        const float* v = g.f32();
        if (g.device() != Device::kCpu) {
            host.resize(static_cast<size_t>(g.numel()));
            be.download(g.f32(), host.data(), g.numel());
            v = host.data();
        }
        for (std::int64_t i = 0; i < g.numel(); ++i) sq += static_cast<double>(v[i]) * v[i];
    }
    const double norm = std::sqrt(sq) * grad_scale;
    const double clip =
        o_.clip_norm > 0 && norm > o_.clip_norm ? o_.clip_norm / (norm + 1e-12) : 1.0;
    const double lr = learning_rate(o_, t_);
    ++t_;
    const double bc1 = 1.0 - std::pow(o_.beta1, static_cast<double>(t_));
    const double bc2 = 1.0 - std::pow(o_.beta2, static_cast<double>(t_));
    // Moments are the backend's activations; loaded (host) ones move there at the first step.
    auto moment = [&](Tensor& t, const std::vector<std::int64_t>& shape) {
        if (t.empty()) {
            t = be.activation(shape);
            be.zero(t.f32(), t.numel());
        } else {
            t = with_backend(be, t);
        }
    };
    be_ = &be;
    for (auto& [name, p] : params) {
        auto git = grads.find(name);
        if (git == grads.end()) continue;
        const Tensor& g = git->second;
        DNASSM_ASSERT(g.numel() == p.numel());
        auto& m = m_[name];
        auto& v = v_[name];
        moment(m, p.shape());
        moment(v, p.shape());
        be.adamw_update({.n = p.numel(),
                         .param = p.f32(),
                         .grad = g.f32(),
                         .m = m.f32(),
                         .v = v.f32(),
                         .lr = lr,
                         .beta1 = o_.beta1,
                         .beta2 = o_.beta2,
                         .eps = o_.eps,
                         .weight_decay = o_.weight_decay,
                         .clip = clip * grad_scale,
                         .bc1 = bc1,
                         .bc2 = bc2,
                         .decay = decays(name, p)});
    }
    be.weights_changed();  // and the derived tensors the caller refreshes next
    return norm;
}

std::map<std::string, Tensor> AdamW::state() const {
    auto host = [&](const Tensor& t) {
        if (t.device() == Device::kCpu) return t;
        Tensor h = Tensor::uninitialized(t.shape());
        be_->download(t.f32(), h.f32(), t.numel());
        return h;
    };
    std::map<std::string, Tensor> s;
    for (const auto& [k, t] : m_) s.emplace("adam.m." + k, host(t));
    for (const auto& [k, t] : v_) s.emplace("adam.v." + k, host(t));
    Tensor step({1});
    step.f32()[0] = static_cast<float>(t_);  // exact below 2^24 steps
    s.emplace("adam.step", step);
    return s;
}

void AdamW::load_state(const std::map<std::string, Tensor>& state) {
    m_.clear();
    v_.clear();
    for (const auto& [k, t] : state) {
        if (k.rfind("adam.m.", 0) == 0) m_[k.substr(7)] = t.clone();
        if (k.rfind("adam.v.", 0) == 0) v_[k.substr(7)] = t.clone();
    }
    auto it = state.find("adam.step");
    DNASSM_CHECK(it != state.end(), ErrorKind::kModel, "checkpoint lacks the optimiser step count");
    t_ = static_cast<std::int64_t>(it->second.f32()[0]);
}

}  // namespace dnassm
