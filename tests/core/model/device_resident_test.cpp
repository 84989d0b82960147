// The model code's side of keeping activations on a GPU (Backend::activation), checked on the CPU
// with test::FencedBackend: if a forward read or wrote an activation on the host, outside the
// backend, the test would crash instead of passing; the outputs must equal the plain CPU
// backend's bit for bit.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"

#include "fenced_backend.h"
#include "test_util.h"

namespace dnassm {
namespace {

std::vector<std::int32_t> golden_ids(const std::string& dir, std::int64_t max_len) {
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::int64_t L = std::min<std::int64_t>(all.numel(), max_len);
    return {all.data<std::int32_t>(), all.data<std::int32_t>() + L};
}

// forward() on the fenced backend and on the CPU: equal hidden states and per-layer outputs.
void expect_same_forward(const Model& m, const std::vector<std::int32_t>& ids, std::int64_t chunk) {
    test::FencedBackend fenced(test::backend("cpu"));
    auto s1 = m.new_state(), s2 = m.new_state();
    const std::int64_t L = static_cast<std::int64_t>(ids.size());
    for (std::int64_t t = 0; t < L; t += chunk) {
        const std::span<const std::int32_t> part(ids.data() + t,
                                                 static_cast<size_t>(std::min(chunk, L - t)));
        std::vector<Tensor> layers_f, layers_c;
        const Tensor hf = m.forward(fenced, part, s1.get(), &layers_f);
        const Tensor hc = m.forward(test::backend("cpu"), part, s2.get(), &layers_c);
        ASSERT_EQ(hf.device(), Device::kCpu);  // returned to the host
        ASSERT_EQ(hf.numel(), hc.numel());
        EXPECT_EQ(0, std::memcmp(hf.f32(), hc.f32(), static_cast<size_t>(hc.numel()) * 4));
        ASSERT_EQ(layers_f.size(), layers_c.size());
        for (size_t i = 0; i < layers_c.size(); ++i)
            EXPECT_EQ(0, std::memcmp(layers_f[i].f32(), layers_c[i].f32(),
                                     static_cast<size_t>(layers_c[i].numel()) * 4))
                << "layer " << i;
    }
    EXPECT_GT(fenced.ops(), 0);
}

TEST(DeviceResidentForward, MambaStreamingTouchesActivationsOnlyThroughTheBackend) {
    const std::string dir = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    auto m = Model::load(dir);
    expect_same_forward(*m, golden_ids(dir, 2048), 700);  // three chunks, state carried
}

TEST(DeviceResidentForward, HyenaTouchesActivationsOnlyThroughTheBackend) {
    const std::string dir = test::data_dir() + "/golden/hyenadna_tiny1k_L1024";
    auto m = Model::load(dir);
    expect_same_forward(*m, golden_ids(dir, 1024), 1024);
    (void)m->limit_context(100);  // --exact-tiling: truncated filters zeroed on the backend
    expect_same_forward(*m, golden_ids(dir, 1024), 1024);
}

TEST(DeviceResidentForward, CaduceusTouchesActivationsOnlyThroughTheBackend) {
    for (const char* name : {"caduceus_ps_L1024_B1", "caduceus_ph_L1024_B1"}) {
        const std::string dir = test::data_dir() + "/golden/" + name;
        auto m = Model::load(dir);
        expect_same_forward(*m, golden_ids(dir, 1024), 1024);
    }
}

}  // namespace
}  // namespace dnassm
