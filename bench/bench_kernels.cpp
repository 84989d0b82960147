// CPU kernel throughput: selective scan (state updates/s = L·E·N per second) and the GEMMs of a
// Mamba block, at 1 and 2 threads.  Run: build/release/bench/bench_kernels
#include <algorithm>
#include <vector>

#include <benchmark/benchmark.h>

#include "dnassm/backend.h"
#include "dnassm/thread_pool.h"

namespace {

using dnassm::Backend;

void BM_SelectiveScan(benchmark::State& st) {
    const std::int64_t L = st.range(0), E = st.range(1), N = st.range(2);
    const int threads = static_cast<int>(st.range(3));
    const std::string backend_name = st.range(4) ? "cpu-ref" : "cpu";
    dnassm::set_num_threads(threads);
    auto be = dnassm::make_backend(backend_name);
    std::vector<float> u(L * E), dt(L * E), z(L * E), A(E * N), B(L * N), C(L * N), D(E, 1.0f),
        bias(E, -2.0f), y(L * E), s(E * N);
    for (std::int64_t i = 0; i < L * E; ++i) {
        u[i] = 0.001f * static_cast<float>(i % 997) - 0.5f;
        dt[i] = 0.002f * static_cast<float>(i % 991) - 1.0f;
        z[i] = 0.003f * static_cast<float>(i % 983) - 1.5f;
    }
    for (std::int64_t i = 0; i < E * N; ++i) A[i] = -1.0f - static_cast<float>(i % N);
    for (std::int64_t i = 0; i < L * N; ++i) {
        B[i] = 0.01f * static_cast<float>(i % 101) - 0.5f;
        C[i] = 0.01f * static_cast<float>(i % 103) - 0.5f;
    }
    dnassm::SelectiveScanArgs a{.L = L,
                                .E = E,
                                .N = N,
                                .u = u.data(),
                                .ld_u = E,
                                .delta = dt.data(),
                                .ld_delta = E,
                                .A = A.data(),
                                .B = B.data(),
                                .ld_B = N,
                                .C = C.data(),
                                .ld_C = N,
                                .D = D.data(),
                                .delta_bias = bias.data(),
                                .delta_softplus = true,
                                .z = z.data(),
                                .ld_z = E,
                                .state = s.data(),
                                .y = y.data(),
                                .ld_y = E};
    for (auto _ : st) {
        be->selective_scan(a);
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["updates_per_s"] = benchmark::Counter(
        static_cast<double>(L * E * N), benchmark::Counter::kIsIterationInvariantRate);
    st.counters["threads"] = threads;
    st.SetLabel(backend_name);
}

void BM_Linear(benchmark::State& st) {
    const std::int64_t M = st.range(0), K = st.range(1), N = st.range(2);
    const int threads = static_cast<int>(st.range(3));
    dnassm::set_num_threads(threads);
    auto be = dnassm::make_backend("cpu");
    std::vector<float> x(M * K, 0.01f), w(N * K, 0.02f), y(M * N);
    for (auto _ : st) {
        be->linear({.M = M,
                    .K = K,
                    .N = N,
                    .x = x.data(),
                    .ld_x = K,
                    .weight = w.data(),
                    .y = y.data(),
                    .ld_y = N});
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["flop_per_s"] = benchmark::Counter(2.0 * static_cast<double>(M * K * N),
                                                   benchmark::Counter::kIsIterationInvariantRate);
    st.counters["threads"] = threads;
}

// LayerNorm over D channels of `rows` rows, one thread (HyenaDNA's and Caduceus' norm).
void BM_LayerNorm(benchmark::State& st) {
    const std::int64_t rows = st.range(0), D = st.range(1);
    dnassm::set_num_threads(1);
    auto be = dnassm::make_backend("cpu");
    std::vector<float> x(rows * D), w(D, 1.1f), b(D, 0.1f), y(rows * D);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 97) * 0.01f - 0.4f;
    for (auto _ : st) {
        be->norm({.kind = dnassm::NormKind::kLayer,
                  .rows = rows,
                  .D = D,
                  .x = x.data(),
                  .weight = w.data(),
                  .bias = b.data(),
                  .y = y.data()});
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

// Hyena long convolution (FFT, fused filter evaluation) at D channels, F = 64 filter basis.
void BM_HyenaFftConv(benchmark::State& st) {
    const std::int64_t L = st.range(0), D = st.range(1), F = 64;
    dnassm::set_num_threads(static_cast<int>(st.range(2)));
    auto be = dnassm::make_backend("cpu");
    std::vector<float> x0(L * D, 0.5f), w(L * D), basis(L * F), fw(D * F, 0.01f), t(L),
        deltas(D, -5.0f), bias(D, 0.1f), y(L * D);
    for (std::int64_t i = 0; i < L * D; ++i) w[i] = 0.001f * static_cast<float>(i % 1009) - 0.5f;
    for (std::int64_t i = 0; i < L * F; ++i) basis[i] = 0.002f * static_cast<float>(i % 997) - 1.0f;
    for (std::int64_t i = 0; i < L; ++i) t[i] = static_cast<float>(i) / static_cast<float>(L);
    for (auto _ : st) {
        be->hyena_conv({.L = L,
                        .D = D,
                        .F = F,
                        .x0 = x0.data(),
                        .w = w.data(),
                        .basis = basis.data(),
                        .filter_w = fw.data(),
                        .t = t.data(),
                        .deltas = deltas.data(),
                        .shift = 0.05f,
                        .bias = bias.data(),
                        .y = y.data()});
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["channel_samples_per_s"] = benchmark::Counter(
        static_cast<double>(L * D), benchmark::Counter::kIsIterationInvariantRate);
}

// The same causal convolution computed directly, O(L^2 D), vectorised over channels: the
// baseline the FFT path replaces (filter precomputed, so this is the cheapest direct form).
void BM_DirectConv(benchmark::State& st) {
    const std::int64_t L = st.range(0), D = st.range(1);
    std::vector<float> w(L * D), k(L * D, 0.001f), y(L * D);
    for (std::int64_t i = 0; i < L * D; ++i) w[i] = 0.001f * static_cast<float>(i % 1009) - 0.5f;
    for (auto _ : st) {
        for (std::int64_t t = 0; t < L; ++t) {
            float* yt = y.data() + t * D;
            std::fill(yt, yt + D, 0.0f);
            for (std::int64_t j = 0; j <= t; ++j) {
                const float* kj = k.data() + j * D;
                const float* wt = w.data() + (t - j) * D;
                for (std::int64_t d = 0; d < D; ++d) yt[d] += kj[d] * wt[d];
            }
        }
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["channel_samples_per_s"] = benchmark::Counter(
        static_cast<double>(L * D), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_CausalConv(benchmark::State& st) {
    const std::int64_t L = st.range(0), E = st.range(1), W = 4;
    dnassm::set_num_threads(static_cast<int>(st.range(2)));
    auto be = dnassm::make_backend("cpu");
    std::vector<float> x(L * E), w(E * W), bias(E, 0.1f), state(E * W, 0.0f), y(L * E);
    for (std::int64_t i = 0; i < L * E; ++i) x[i] = 0.001f * static_cast<float>(i % 997) - 0.5f;
    for (std::int64_t i = 0; i < E * W; ++i) w[i] = 0.01f * static_cast<float>(i % 31) - 0.15f;
    for (auto _ : st) {
        std::fill(state.begin(), state.end(), 0.0f);
        be->causal_conv1d({.L = L,
                           .E = E,
                           .W = W,
                           .x = x.data(),
                           .ld_x = E,
                           .weight = w.data(),
                           .bias = bias.data(),
                           .state = state.data(),
                           .silu = st.range(3) != 0,
                           .y = y.data(),
                           .ld_y = E});
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["bases/s"] =
        benchmark::Counter(static_cast<double>(L), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_HyenaFftConv)
    ->Args({1024, 256, 1})
    ->Args({4096, 256, 1})
    ->Args({32768, 256, 1})
    ->Args({32768, 256, 2})
    ->Args({131072, 256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LayerNorm)->Args({8192, 128})->Args({8192, 256})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DirectConv)
    ->Args({1024, 256})
    ->Args({4096, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// HyenaDNA d_model 256 block GEMMs on an 8192-row block: in_proj, out_proj, fc1, fc2.
BENCHMARK(BM_Linear)
    ->Args({8192, 256, 768, 1})
    ->Args({8192, 256, 256, 1})
    ->Args({8192, 256, 1024, 1})
    ->Args({8192, 1024, 256, 1})
    ->Args({8192, 256, 768, 2})
    ->Args({8192, 256, 256, 2})
    ->Args({8192, 256, 1024, 2})
    ->Args({8192, 1024, 256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Mamba's short conv (W 4, SiLU) on the bundled model's E 256 at a 16k chunk.
BENCHMARK(BM_CausalConv)
    ->Args({16384, 256, 1, 1})
    ->Args({16384, 256, 2, 1})
    ->Args({16384, 256, 1, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The shape: L = 16384, E = 256, N = 16; cpu-ref (naive, double) for scale.
BENCHMARK(BM_SelectiveScan)
    ->Args({16384, 256, 16, 1, 0})
    ->Args({16384, 256, 16, 2, 0})
    ->Args({16384, 256, 16, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The Mamba block GEMMs of the bundled model (D 128, E 256) on a 16k chunk: in_proj, out_proj.
BENCHMARK(BM_Linear)
    ->Args({16384, 128, 512, 1})
    ->Args({16384, 128, 512, 2})
    ->Args({16384, 256, 128, 1})
    ->Args({16384, 256, 128, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
