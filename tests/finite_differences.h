// The finite-difference check every model-gradient test shares: central differences of a loss at
// sampled elements of each parameter tensor against the gradient backward computed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "dnassm/tensor.h"

#include "test_util.h"

namespace dnassm::test {

/// For `samples` elements of every tensor in params (drawn by Rng(seed); pick(name, tensor, k,
/// index) may move the k-th draw, e.g. to an embedding row of a token present), loss() is
/// evaluated at w ± h, h = 2e-3·max(1, |w|), after refresh() (derived tensors), and the central
/// difference must match grads[name] within 2e-4 + 2e-2·|fd|.
inline void expect_gradients_match_finite_differences(
    std::map<std::string, Tensor>& params,
    const std::map<std::string, Tensor>& grads,
    const std::function<double()>& loss,
    int samples,
    std::uint64_t seed,
    const std::function<std::int64_t(const std::string&, const Tensor&, int, std::int64_t)>& pick,
    const std::function<void()>& refresh = [] {}) {
    ASSERT_EQ(grads.size(), params.size());
    Rng rng(seed);
    for (auto& [name, t] : params) {
        ASSERT_TRUE(grads.count(name)) << name;
        const Tensor& g = grads.at(name);
        for (int k = 0; k < samples; ++k) {
            const std::int64_t idx =
                pick(name, t, k,
                     static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(t.numel())));
            float& w = t.f32()[idx];
            const float keep = w, h = 2e-3f * std::max(1.0f, std::fabs(keep));
            w = keep + h;
            refresh();
            const double up = loss();
            w = keep - h;
            refresh();
            const double down = loss();
            w = keep;
            refresh();
            const double fd = (up - down) / (2.0 * h);
            EXPECT_NEAR(g.f32()[idx], fd, 2e-4 + 2e-2 * std::fabs(fd)) << name << "[" << idx << "]";
        }
    }
}

}  // namespace dnassm::test
