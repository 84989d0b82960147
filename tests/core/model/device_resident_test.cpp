// The model code's side of keeping activations on a GPU (Backend::activation), checked on the CPU
// with test::FencedBackend: if a forward read or wrote an activation on the host, outside the
// backend, the test would crash instead of passing; the outputs must equal the plain CPU
// backend's bit for bit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"
#include "dnassm/per_base_track.h"
#include "dnassm/sequence_runner.h"

#include "fenced_backend.h"
#include "test_util.h"

namespace dnassm {
namespace {

using test::golden_ids;

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

// run_sequence keeps each window's hidden states on the backend, computes the logits there and
// copies both down while the next window runs. On the fenced backend a copy is made only when
// the runner waits for it, so a runner (or model) that let a window's output be overwritten by
// the next window before waiting would hand over the wrong rows. Each block must equal forward()
// and logits() of its window on the CPU, called one window at a time. So must the CPU backend's,
// whose blocks are the activations themselves, not copies.
void expect_blocks_as_forward(const Model& m,
                              const std::vector<std::int32_t>& ids,
                              RunOptions o,
                              bool fence) {
    test::FencedBackend fenced(test::backend("cpu"));
    Backend& be = fence ? static_cast<Backend&>(fenced) : test::backend("cpu");
    std::vector<RowBlock> got;
    run_sequence(m, be, ids, o, nullptr, {.hidden = true, .logits = true}, [&](const RowBlock& b) {
        EXPECT_EQ(b.hidden.device(), Device::kCpu);
        EXPECT_EQ(b.logits.device(), Device::kCpu);
        got.push_back(b);
    });
    ASSERT_GT(got.size(), 1u) << "the case should have several windows";
    if (fence) {
        EXPECT_EQ(fenced.async_downloads(), static_cast<int>(2 * got.size()));
    }
    Backend& cpu = test::backend("cpu");
    const auto L = static_cast<std::int64_t>(ids.size());
    const RunPlan plan = plan_run(m, L, o);
    auto state = m.new_state();
    std::int64_t next = 0;
    for (const RowBlock& b : got) {
        ASSERT_EQ(b.offset, next);
        const std::int64_t n = b.hidden.dim(0);
        next += n;
        // The window the block was computed in: its own rows when streamed, with context when
        // tiled.
        const std::int64_t beg = plan.tiled ? std::max<std::int64_t>(0, b.offset - plan.overlap)
                                            : b.offset,
                           end =
                               plan.tiled ? std::min(L, b.offset + n + plan.overlap) : b.offset + n;
        const Tensor h = m.forward(cpu, {ids.data() + beg, static_cast<size_t>(end - beg)},
                                   plan.tiled ? nullptr : state.get())
                             .slice_rows(b.offset - beg, b.offset - beg + n);
        const Tensor lg = m.logits(cpu, h);
        for (auto [g, w] : {std::pair{&b.hidden, &h}, std::pair{&b.logits, &lg}}) {
            ASSERT_EQ(g->shape(), w->shape()) << "block at " << b.offset;
            EXPECT_EQ(0, std::memcmp(g->f32(), w->f32(), static_cast<size_t>(w->numel()) * 4))
                << "block at " << b.offset;
        }
    }
    EXPECT_EQ(next, L);
}

TEST(DeviceResidentRun, StreamedMambaChunksComeDownWhileTheNextRuns) {
    const std::string dir = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    auto m = Model::load(dir);
    for (bool fence : {true, false})
        expect_blocks_as_forward(*m, golden_ids(dir, 2048), {.chunk = 700}, fence);
}

TEST(DeviceResidentRun, TiledHyenaAndCaduceusWindowsComeDownWhileTheNextRuns) {
    for (const char* name : {"hyenadna_tiny1k_L1024", "caduceus_ps_L1024_B1"}) {
        const std::string dir = test::data_dir() + "/golden/" + name;
        auto m = Model::load(dir);
        for (bool fence : {true, false})
            expect_blocks_as_forward(*m, golden_ids(dir, 1024),
                                     {.window = 400, .overlap = 50, .tile = true}, fence);
    }
}

// predict's tracks on the fenced backend: the LM tracks from logits computed on the backend (the
// hidden states never come down), a masked LM's from one masked window per base, bit-identical to
// the CPU's.
void expect_same_tracks(const Model& m,
                        const std::vector<std::int32_t>& ids,
                        const std::vector<std::string>& names,
                        RunOptions run) {
    std::vector<TrackSpec> specs;
    for (const auto& n : names) {
        specs.push_back(track_spec(m, n));
        specs.back().run = run;
        specs.back().mlm_context = 40;
    }
    test::FencedBackend fenced(test::backend("cpu"));
    const auto got = per_base_tracks(m, fenced, ids, specs, nullptr);
    const auto want = per_base_tracks(m, test::backend("cpu"), ids, specs, nullptr);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
        ASSERT_EQ(got[k].size(), want[k].size());
        EXPECT_EQ(0, std::memcmp(got[k].data(), want[k].data(), want[k].size() * sizeof(float)))
            << names[k];
        const auto defined =
            std::count_if(want[k].begin(), want[k].end(), [](float v) { return !std::isnan(v); });
        EXPECT_GE(defined, static_cast<std::ptrdiff_t>(ids.size()) - 1) << names[k];
    }
    EXPECT_GT(fenced.ops(), 0);
}

TEST(DeviceResidentTracks, LmAndMaskedLmTracksComputeOnTheBackend) {
    const std::string mamba = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    expect_same_tracks(*Model::load(mamba), golden_ids(mamba, 2048), {"loglik", "entropy"},
                       {.chunk = 700});
    const std::string cad = test::data_dir() + "/golden/caduceus_ph_L1024_B1";
    expect_same_tracks(*Model::load(cad), golden_ids(cad, 120), {"loglik", "entropy"}, {});
}

}  // namespace
}  // namespace dnassm
