// GPU kernel throughput (issues C1/C2), timed with CUDA events on device-resident buffers (no
// host copies): device copy bandwidth (the roofline), the fused selective scan forward and
// backward (bytes/s over the compulsory traffic: every input read once, every output written
// once), and the cuFFT Hyena long convolution. bench/run_bench_cuda.py runs it with the PyTorch
// baselines. Run: build/release/bench/bench_cuda [--benchmark_filter=...]
#include <cstdint>

#include <cuda_runtime.h>
#include <cufft.h>

#include <benchmark/benchmark.h>

#include "../kernels/common/fft_size.h"
#include "cuda_backward.h"
#include "cuda_ops.h"
#include "launch_plan.h"

namespace {

using namespace dnassm;

__global__ void fill_pattern(float* p, std::int64_t n, float lo, float hi) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) p[i] = lo + (hi - lo) * static_cast<float>((i * 7919) % 1000) / 1000.0f;
}

// A device buffer of n floats filled with a deterministic pattern in [lo, hi).
class DeviceArray {
  public:
    DeviceArray(std::int64_t n, float lo, float hi) {
        cuda::check(cudaMalloc(&p_, static_cast<size_t>(n > 0 ? n : 1) * 4), "cudaMalloc");
        if (n > 0) fill_pattern<<<static_cast<unsigned>((n + 255) / 256), 256>>>(p_, n, lo, hi);
        cuda::check(cudaDeviceSynchronize(), "fill");
    }
    ~DeviceArray() { cudaFree(p_); }
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    float* get() const { return p_; }

  private:
    float* p_ = nullptr;
};

// Runs `body` once per iteration between two events and reports the device time.
template <typename Body>
void time_on_device(benchmark::State& st, Body&& body) {
    cudaEvent_t start, stop;
    cuda::check(cudaEventCreate(&start), "event");
    cuda::check(cudaEventCreate(&stop), "event");
    body();  // warm-up (plans, first-touch)
    cuda::check(cudaDeviceSynchronize(), "sync");
    for (auto _ : st) {
        cuda::check(cudaEventRecord(start), "record");
        body();
        cuda::check(cudaEventRecord(stop), "record");
        cuda::check(cudaEventSynchronize(stop), "sync");
        float ms = 0.0f;
        cuda::check(cudaEventElapsedTime(&ms, start, stop), "elapsed");
        st.SetIterationTime(static_cast<double>(ms) / 1e3);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
}

void BM_DeviceCopy(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    DeviceArray a(n, 0, 1), b(n, 0, 1);
    time_on_device(st, [&] {
        cuda::check(
            cudaMemcpyAsync(b.get(), a.get(), static_cast<size_t>(n) * 4, cudaMemcpyDeviceToDevice),
            "copy");
    });
    st.counters["bytes_per_s"] = benchmark::Counter(static_cast<double>(2 * n * 4),
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

struct ScanInputs {
    ScanInputs(std::int64_t L, std::int64_t E, std::int64_t N)
        : u(L * E, -1, 1),
          delta(L * E, -3, 0),
          z(L * E, -2, 2),
          A(E * N, -4, -0.5f),
          B(L * N, -1, 1),
          C(L * N, -1, 1),
          D(E, 0.5f, 1.5f),
          bias(E, -2, 0),
          y(L * E, 0, 0) {
        args.L = L;
        args.E = E;
        args.N = N;
        args.u = u.get();
        args.ld_u = E;
        args.delta = delta.get();
        args.ld_delta = E;
        args.A = A.get();
        args.B = B.get();
        args.ld_B = N;
        args.C = C.get();
        args.ld_C = N;
        args.D = D.get();
        args.delta_bias = bias.get();
        args.z = z.get();
        args.ld_z = E;
        args.y = y.get();
        args.ld_y = E;
    }
    DeviceArray u, delta, z, A, B, C, D, bias, y;
    SelectiveScanArgs args;
};

// range(3) = 1: bfloat16 storage of u, delta, z, B, C and y (half the bytes).
void BM_ScanForward(benchmark::State& st) {
    const std::int64_t L = st.range(0), E = st.range(1), N = st.range(2);
    const bool bf16 = st.range(3) != 0;
    ScanInputs in(L, E, N);
    cuda::ScanPlan plan = cuda::plan_selective_scan(L, E, N);
    plan.staged_inputs = st.range(4) != 0;  // the variant that stages delta, u, z per tile
    DeviceArray scratch(3 * plan.n_chunks * E * N, 0, 0);
    // bfloat16 copies (a DeviceArray of n/2 floats holds n bfloat16 values), only for bf16 runs.
    const std::int64_t half_le = bf16 ? (L * E + 1) / 2 : 0, half_ln = bf16 ? (L * N + 1) / 2 : 0;
    DeviceArray hu(half_le, 0, 0), hd(half_le, 0, 0), hz(half_le, 0, 0), hB(half_ln, 0, 0),
        hC(half_ln, 0, 0), hy(half_le, 0, 0);
    SelectiveScanArgs args = in.args;
    if (bf16) {
        cuda::to_bf16(in.u.get(), hu.get(), L * E, nullptr);
        cuda::to_bf16(in.delta.get(), hd.get(), L * E, nullptr);
        cuda::to_bf16(in.z.get(), hz.get(), L * E, nullptr);
        cuda::to_bf16(in.B.get(), hB.get(), L * N, nullptr);
        cuda::to_bf16(in.C.get(), hC.get(), L * N, nullptr);
        args.u = hu.get();
        args.delta = hd.get();
        args.z = hz.get();
        args.B = hB.get();
        args.C = hC.get();
        args.y = hy.get();
        args.bf16 = true;
    }
    time_on_device(st, [&] { cuda::selective_scan(args, plan, scratch.get(), nullptr); });
    st.SetLabel(bf16 ? "bf16" : "fp32");
    // u, delta, z read and y written ({L, E}); B, C read ({L, N}).
    const double bytes = (bf16 ? 2.0 : 4.0) * static_cast<double>(4 * L * E + 2 * L * N);
    st.counters["bytes_per_s"] =
        benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
    st.counters["updates_per_s"] = benchmark::Counter(
        static_cast<double>(L * E * N), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ScanBackward(benchmark::State& st) {
    const std::int64_t L = st.range(0), E = st.range(1), N = st.range(2);
    ScanInputs in(L, E, N);
    DeviceArray dy(L * E, -1, 1), du(L * E, 0, 0), ddelta(L * E, 0, 0), dz(L * E, 0, 0),
        dB(L * N, 0, 0), dC(L * N, 0, 0), dA(E * N, 0, 0), dD(E, 0, 0), dbias(E, 0, 0);
    SelectiveScanGrads g;
    g.dy = dy.get();
    g.du = du.get();
    g.ddelta = ddelta.get();
    g.dz = dz.get();
    g.dA = dA.get();
    g.dB = dB.get();
    g.dC = dC.get();
    g.dD = dD.get();
    g.ddelta_bias = dbias.get();
    // range(3) = 1: the thread-per-channel variant (ScanBackwardPlan::per_channel)
    const cuda::ScanBackwardPlan plan =
        cuda::plan_selective_scan_backward(L, E, N, st.range(3) != 0);
    DeviceArray scratch(cuda::scan_backward_scratch(plan, E, N).total, 0, 0);
    time_on_device(
        st, [&] { cuda::selective_scan_backward(in.args, g, plan, scratch.get(), nullptr); });
    // Read u, delta, z, dy; read-modify-write du, ddelta, dz ({L, E}); read B, C, rmw dB, dC.
    const double bytes = 4.0 * static_cast<double>(10 * L * E + 6 * L * N);
    st.counters["bytes_per_s"] =
        benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_HyenaFftConv(benchmark::State& st) {
    const std::int64_t L = st.range(0), D = st.range(1), F = 64;
    const std::int64_t n = long_conv_fft_size(L), nc = n / 2 + 1;
    DeviceArray x0(L * D, -1, 1), w(L * D, -1, 1), basis(L * F, -1, 1), fw(D * F, -0.1f, 0.1f),
        t(L, 0, 1), deltas(D, -15, -3), bias(D, -1, 1), y(L * D, 0, 0), k_pad(D * n, 0, 0),
        w_pad(D * n, 0, 0), kf(2 * D * nc, 0, 0), wf(2 * D * nc, 0, 0);
    HyenaConvArgs a;
    a.L = L;
    a.D = D;
    a.F = F;
    a.x0 = x0.get();
    a.w = w.get();
    a.basis = basis.get();
    a.filter_w = fw.get();
    a.t = t.get();
    a.deltas = deltas.get();
    a.shift = 0.05f;
    a.bias = bias.get();
    a.y = y.get();
    int len = static_cast<int>(n);
    cufftHandle r2c = 0, c2r = 0;
    if (cufftPlanMany(&r2c, 1, &len, nullptr, 1, len, nullptr, 1, len / 2 + 1, CUFFT_R2C,
                      static_cast<int>(D)) != CUFFT_SUCCESS ||
        cufftPlanMany(&c2r, 1, &len, nullptr, 1, len / 2 + 1, nullptr, 1, len, CUFFT_C2R,
                      static_cast<int>(D)) != CUFFT_SUCCESS) {
        st.SkipWithError("cuFFT plan failed");
        return;
    }
    auto* kc = reinterpret_cast<cufftComplex*>(kf.get());
    auto* wc = reinterpret_cast<cufftComplex*>(wf.get());
    time_on_device(st, [&] {
        cuda::hyena_filter_padded(a, n, k_pad.get(), nullptr);
        cuda::hyena_pad_input(a, n, w_pad.get(), nullptr);
        cufftExecR2C(r2c, k_pad.get(), kc);
        cufftExecR2C(r2c, w_pad.get(), wc);
        cuda::complex_multiply(reinterpret_cast<float2*>(wc), reinterpret_cast<const float2*>(kc),
                               D * nc, nullptr);
        cufftExecC2R(c2r, wc, w_pad.get());
        cuda::hyena_epilogue(a, n, w_pad.get(), nullptr);
    });
    cufftDestroy(r2c);
    cufftDestroy(c2r);
    st.counters["channel_samples_per_s"] = benchmark::Counter(
        static_cast<double>(L * D), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_DeviceCopy)->Arg(1LL << 28)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanForward)
    ->Args({1 << 20, 512, 16, 0, 0})
    ->Args({1 << 20, 512, 16, 0, 1})
    ->Args({1 << 20, 512, 16, 1, 0})
    ->Args({1 << 20, 512, 16, 1, 1})
    ->Args({1 << 16, 512, 16, 0, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanBackward)
    ->Args({1 << 20, 512, 16, 0})
    ->Args({1 << 20, 512, 16, 1})
    ->Args({1 << 16, 512, 16, 0})
    ->Args({1 << 16, 512, 16, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HyenaFftConv)
    ->Args({1 << 20, 256})
    ->Args({1 << 15, 256})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
