// The CUDA backend (issue C1), built as a plugin (libdnassm_cuda.so) that dnassm loads at run
// time, so the same dnassm binary runs where there is no GPU, driver or CUDA library.
//
// Each op runs the kernels (cuda_ops.cu, cuda_backward.cu, cuBLAS, cuFFT) on device pointers.
// Arguments that are device memory, the activations this backend hands out (Backend::activation;
// inference and training keep every activation there), are used in place. Arguments that are host
// memory (weights, token ids, parameter gradients, or any caller's host arrays) are copied into
// buffers from the pool first and the outputs copied back.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cufft.h>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/tensor.h"

#include "../common/fft_size.h"
#include "cuda_backward.h"
#include "cuda_ops.h"
#include "host_buffer_cache.h"
#include "launch_plan.h"
#include "weight_registry.h"

namespace dnassm::cuda {

namespace {

void check_blas(cublasStatus_t st, const char* what) {
    if (st != CUBLAS_STATUS_SUCCESS)
        throw Error(ErrorKind::kResource,
                    std::string("cuBLAS: ") + what + " failed (status " + std::to_string(st) + ")");
}

void check_fft(cufftResult st, const char* what) {
    if (st != CUFFT_SUCCESS)
        throw Error(ErrorKind::kResource,
                    std::string("cuFFT: ") + what + " failed (status " + std::to_string(st) + ")");
}

// The backend's one device allocator: CUDA's stream-ordered memory pool (cudaMallocAsync on the
// backend's stream), set to keep freed memory for reuse, so a streamed run or a training loop
// stops allocating after its first window and buffers of any size are packed without rounding.
// Devices without memory pools get cudaMalloc/cudaFree. The pool owns the stream and is shared by
// the backend and every activation it hands out, so both live until the last of them is freed.
class DevicePool {
  public:
    explicit DevicePool(int device) {
        check(cudaStreamCreate(&stream_), "cudaStreamCreate");
        int pools = 0;
        check(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device),
              "cudaDeviceGetAttribute");
        // DNASSM_CUDA_NO_POOL=1: plain cudaMalloc/cudaFree (to rule the pool out of a fault).
        if (pools && !std::getenv("DNASSM_CUDA_NO_POOL")) {
            check(cudaDeviceGetDefaultMemPool(&pool_, device), "cudaDeviceGetDefaultMemPool");
            std::uint64_t keep = UINT64_MAX;
            check(cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep),
                  "cudaMemPoolSetAttribute");
        }
    }
    ~DevicePool() {
        cudaStreamSynchronize(stream_);
        cudaStreamDestroy(stream_);
    }
    DevicePool(const DevicePool&) = delete;
    DevicePool& operator=(const DevicePool&) = delete;

    [[nodiscard]] cudaStream_t stream() const { return stream_; }
    void* take(std::size_t bytes) {
        void* p = nullptr;
        const std::size_t n = std::max<std::size_t>(bytes, 4);
        const cudaError_t st = pool_ ? cudaMallocAsync(&p, n, stream_) : cudaMalloc(&p, n);
        if (st == cudaErrorMemoryAllocation) {
            (void)cudaGetLastError();  // not sticky: the backend stays usable
            std::size_t free = 0, total = 0;
            (void)cudaMemGetInfo(&free, &total);
            auto gib = [](std::size_t b) {
                char buf[32];
                snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1ULL << 30));
                return std::string(buf);
            };
            throw Error(ErrorKind::kResource,
                        "CUDA: out of device memory allocating " + gib(n) + " (" + gib(free) +
                            " of " + gib(total) +
                            " free); a shorter window (or --recompute for training) needs less");
        }
        check(st, pool_ ? "cudaMallocAsync" : "cudaMalloc");
        return p;
    }
    // Stream-ordered: later work on the stream may reuse the memory, earlier work finishes first.
    void give(void* p) noexcept {
        if (pool_)
            cudaFreeAsync(p, stream_);
        else
            cudaFree(p);
    }
    /// Hands the cached memory back to the device, for a library that allocates its own.
    void trim() {
        if (!pool_) return;
        check(cudaStreamSynchronize(stream_), "synchronize");
        check(cudaMemPoolTrimTo(pool_, 0), "cudaMemPoolTrimTo");
    }

  private:
    cudaStream_t stream_ = nullptr;
    cudaMemPool_t pool_ = nullptr;  // null: no memory pools on this device
};

// A device buffer leased from the pool for the duration of one op.
class Lease {
  public:
    Lease(DevicePool& pool, std::size_t bytes) : pool_(pool) { p_ = pool_.take(bytes); }
    ~Lease() { pool_.give(p_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    float* f() const { return static_cast<float*>(p_); }
    template <typename T>
    T* as() const {
        return static_cast<T*>(p_);
    }

  private:
    DevicePool& pool_;
    void* p_ = nullptr;
};

// Whether p is device memory (an activation of this backend) rather than host memory.
bool on_device(const void* p) {
    cudaPointerAttributes attr{};
    if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
        (void)cudaGetLastError();  // a plain host pointer on older runtimes: clear the error
        return false;
    }
    return attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged;
}

// The device side of one op: inputs copied up, outputs registered to go back down (accumulated
// ones copied up first), all leased from the pool until finish() copies the outputs back.
// Pointers that already are device memory (Backend::activation) are used in place.
class Staging {
  public:
    Staging(DevicePool& pool, cudaStream_t stream, WeightRegistry& weights)
        : pool_(pool), stream_(stream), weights_(weights) {}
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    /// A device copy of `rows` rows of `cols` floats with row stride ld (null stays null).
    const float* in(const float* host, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!host) return nullptr;
        if (on_device(host)) return host;
        if (WeightRegistry::Range* r = weights_.find(host, span_floats(rows, cols, ld)))
            return resident(*r) + (host - r->host);
        return uploaded(host, span_floats(rows, cols, ld));
    }
    const float* in(const float* host, std::int64_t n) { return in(host, 1, n, n); }
    /// The same for an accumulated output, copied back by finish() (only the rows' `cols` values,
    /// so host data between rows is left alone). Always a buffer of its own, even for a kept
    /// weight, whose device copy finish() then marks stale.
    float* inout(float* host, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!host) return nullptr;
        if (on_device(host)) return host;
        float* d = uploaded(host, span_floats(rows, cols, ld));
        outputs_.push_back({host, d, rows, cols, ld});
        return d;
    }
    float* inout(float* host, std::int64_t n) { return inout(host, 1, n, n); }
    /// An output that is only written on the device, copied back by finish().
    float* out(float* host, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!host) return nullptr;
        if (on_device(host)) return host;
        float* d = lease(span_floats(rows, cols, ld));
        outputs_.push_back({host, d, rows, cols, ld});
        return d;
    }
    float* out(float* host, std::int64_t n) { return out(host, 1, n, n); }
    /// Token ids on the device.
    const std::int32_t* in(const std::int32_t* host, std::int64_t n) {
        auto* d = reinterpret_cast<std::int32_t*>(lease(n));
        if (n > 0)
            check(cudaMemcpyAsync(d, host, static_cast<std::size_t>(n) * sizeof(std::int32_t),
                                  cudaMemcpyHostToDevice, stream_),
                  "copy ids");
        return d;
    }
    float* scratch(std::int64_t n) { return lease(n); }

    /// Copies host outputs back and waits for them. An op whose outputs all are device memory
    /// returns without waiting: its work is queued on the stream, which orders everything after
    /// it (host inputs, all pageable memory here, were read before their copy call returned, and
    /// leased buffers go back to the pool in stream order). CUDA_LAUNCH_BLOCKING=1 makes every
    /// op wait, to pin an asynchronous fault on the op that caused it.
    void finish() {
        if (outputs_.empty()) return;
        for (const auto& o : outputs_)
            if (o.rows > 0)
                check(cudaMemcpy2DAsync(o.host, bytes(o.ld), o.dev, bytes(o.ld), bytes(o.cols),
                                        o.rows, cudaMemcpyDeviceToHost, stream_),
                      "copy out");
        check(cudaStreamSynchronize(stream_), "synchronize");
        for (const auto& o : outputs_)  // a kept weight written here (AdamW) is uploaded again
            weights_.written(o.host, span_floats(o.rows, o.cols, o.ld));
    }

  private:
    struct Output {
        float* host;
        float* dev;
        std::int64_t rows, cols, ld;
    };
    static std::size_t bytes(std::int64_t floats) {
        return static_cast<std::size_t>(floats) * sizeof(float);
    }
    // The device copy of a kept weight, uploaded first if the host values changed.
    float* resident(WeightRegistry::Range& r) {
        if (!r.device) r.device = static_cast<float*>(pool_.take(bytes(r.floats)));
        if (r.stale) {
            copy(r.device, r.host, r.floats, cudaMemcpyHostToDevice);
            r.stale = false;
        }
        return r.device;
    }
    float* uploaded(const float* host, std::int64_t n) {
        float* d = lease(n);
        copy(d, host, n, cudaMemcpyHostToDevice);
        return d;
    }
    float* lease(std::int64_t n) {
        leases_.push_back(std::make_unique<Lease>(pool_, bytes(std::max<std::int64_t>(n, 1))));
        return leases_.back()->f();
    }
    void copy(float* dst, const float* src, std::int64_t n, cudaMemcpyKind kind) {
        if (n > 0) check(cudaMemcpyAsync(dst, src, bytes(n), kind, stream_), "copy in");
    }

    DevicePool& pool_;
    cudaStream_t stream_;
    WeightRegistry& weights_;
    std::vector<std::unique_ptr<Lease>> leases_;
    std::vector<Output> outputs_;
};

// A download_async copy: queued on the backend's copy stream behind the ops that wrote the
// source, into page-locked memory. The source stays alive (and so out of the pool) until the copy
// is done.
class CudaDownload final : public PendingDownload {
  public:
    CudaDownload(Tensor src, Tensor host, cudaEvent_t done)
        : src_(std::move(src)), host_(std::move(host)), done_(done) {}
    ~CudaDownload() override {
        if (!done_) return;
        (void)cudaEventSynchronize(done_);
        cudaEventDestroy(done_);
    }
    CudaDownload(const CudaDownload&) = delete;
    CudaDownload& operator=(const CudaDownload&) = delete;
    Tensor wait() override {
        const cudaError_t st = cudaEventSynchronize(done_);
        cudaEventDestroy(done_);
        done_ = nullptr;
        check(st, "download");
        src_ = Tensor();
        return std::move(host_);
    }

  private:
    Tensor src_, host_;
    cudaEvent_t done_ = nullptr;
};

class CudaBackend final : public Backend {
  public:
    explicit CudaBackend(int device) : device_(device) {
        check(cudaSetDevice(device), "cudaSetDevice");
        pool_ = std::make_shared<DevicePool>(device);
        stream_ = pool_->stream();
        check_blas(cublasCreate(&blas_), "cublasCreate");
        check_blas(cublasSetStream(blas_, stream_), "cublasSetStream");
        // Full fp32 GEMMs (no TF32), so results match the CPU to fp32 rounding.
        check_blas(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        cudaDeviceProp prop{};
        check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
        name_ = "cuda:" + std::to_string(device) + " (" + prop.name + ")";
    }
    ~CudaBackend() override {
        if (copy_stream_) {
            cudaStreamSynchronize(copy_stream_);
            cudaStreamDestroy(copy_stream_);
        }
        for (auto& [n, plans] : fft_plans_) {
            cufftDestroy(plans.first);
            cufftDestroy(plans.second);
        }
        cublasDestroy(blas_);
        for (auto& r : weights_.ranges())
            if (r.device) pool_->give(r.device);
    }
    std::string name() const override { return name_; }

    void linear(const LinearArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        const float* x = st.in(a.x, a.M, a.K, a.ld_x);
        const float* w = st.in(a.weight, a.N * a.K);
        float* y = a.accumulate ? st.inout(a.y, a.M, a.N, a.ld_y) : st.out(a.y, a.M, a.N, a.ld_y);
        // Row-major y{M,N} = x{M,K}·W^T is column-major y^T{N,M} = W^T{..}·x^T: W is {K,N}
        // column-major with ld K, transposed; x^T is {K,M} with ld ld_x (K when packed bf16).
        const Operand wo = operand(st, w, a.N, a.K, a.K), xo = operand(st, x, a.M, a.K, a.ld_x);
        gemm(CUBLAS_OP_T, CUBLAS_OP_N, a.N, a.M, a.K, wo, xo, a.accumulate ? 1.0f : 0.0f, y, a.ld_y,
             "gemm");
        if (a.bias) add_bias_rows(y, a.ld_y, st.in(a.bias, a.N), a.M, a.N, stream_);
        st.finish();
    }

    void norm(const NormArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        NormArgs d = a;
        d.x = st.in(a.x, a.rows * a.D);
        d.weight = st.in(a.weight, a.D);
        d.bias = st.in(a.bias, a.D);
        d.y = st.out(a.y, a.rows * a.D);
        cuda::norm(d, stream_);
        st.finish();
    }

    void causal_conv1d(const CausalConv1dArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        CausalConv1dArgs d = a;
        d.x = st.in(a.x, a.L, a.E, a.ld_x);
        d.weight = st.in(a.weight, a.E * a.W);
        d.bias = st.in(a.bias, a.E);
        d.state = st.inout(a.state, a.E * a.W);
        d.y = st.out(a.y, a.L, a.E, a.ld_y);
        cuda::causal_conv1d(d, stream_);
        st.finish();
    }

    void selective_scan(const SelectiveScanArgs& a) override {
        const ScanPlan plan = plan_selective_scan(a.L, a.E, a.N);
        const std::int64_t nu = span_floats(a.L, a.E, a.ld_u),
                           nd = span_floats(a.L, a.E, a.ld_delta),
                           nB = span_floats(a.L, a.N, a.ld_B), nC = span_floats(a.L, a.N, a.ld_C),
                           nz = a.z ? span_floats(a.L, a.E, a.ld_z) : 0,
                           ny = span_floats(a.L, a.E, a.ld_y);
        Staging st(*pool_, stream_, weights_);
        SelectiveScanArgs d = scan_inputs(st, a);
        d.state = st.inout(a.state, a.E * a.N);
        d.y = st.out(a.y, a.L, a.E, a.ld_y);
        float* scratch = st.scratch(3 * plan.n_chunks * a.E * a.N);
        if (!a.bf16) {
            cuda::selective_scan(d, plan, scratch, stream_);
        } else {
            // bfloat16 copies of the stored arrays (same element strides; n bfloat16 values fit in
            // (n + 1) / 2 floats), y converted back.
            auto half = [&](const float* f32, std::int64_t n) {
                float* h = st.scratch((n + 1) / 2);
                if (f32) to_bf16(f32, h, n, stream_);
                return h;
            };
            SelectiveScanArgs h = d;
            h.u = half(d.u, nu);
            h.delta = half(d.delta, nd);
            h.B = half(d.B, nB);
            h.C = half(d.C, nC);
            h.z = a.z ? half(d.z, nz) : nullptr;
            h.y = half(nullptr, ny);
            cuda::selective_scan(h, plan, scratch, stream_);
            from_bf16(h.y, d.y, ny, stream_);
        }
        st.finish();
    }

    void embedding(const EmbeddingArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        EmbeddingArgs d = a;
        d.ids = st.in(a.ids, a.L);
        d.table = st.in(a.table, a.V * a.D);
        d.y = st.out(a.y, a.L * a.D);
        cuda::embedding(d, stream_);
        st.finish();
    }

    void hyena_conv(const HyenaConvArgs& a) override {
        const std::int64_t L = a.L, D = a.D, n = long_conv_fft_size(L), nc = n / 2 + 1;
        Staging st(*pool_, stream_, weights_);
        HyenaConvArgs d = device_args(st, a);
        // A device buffer of its own, so y may alias x0 on the host (as the CPU op allows).
        d.y = st.out(a.y, L * D);
        float* k_pad = st.scratch(D * n);
        float* w_pad = st.scratch(D * n);
        auto* kf = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        auto* wf = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        hyena_filter_padded(d, n, k_pad, stream_);
        hyena_pad_input(d, n, w_pad, stream_);
        const cufftHandle r2c = plans(n, D).first, c2r = plans(n, D).second;
        check_fft(cufftExecR2C(r2c, k_pad, kf), "R2C filter");
        check_fft(cufftExecR2C(r2c, w_pad, wf), "R2C input");
        complex_multiply(reinterpret_cast<float2*>(wf), reinterpret_cast<const float2*>(kf), D * nc,
                         stream_);
        check_fft(cufftExecC2R(c2r, wf, w_pad), "C2R");
        hyena_epilogue(d, n, w_pad, stream_);
        st.finish();
    }

    void hyena_gates(
        const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) override {
        Staging st(*pool_, stream_, weights_);
        cuda::hyena_gates(st.in(uc, n * 3 * D), n, D, st.out(x0, n * D), st.out(w, n * D), stream_);
        st.finish();
    }

    Tensor activation(std::vector<std::int64_t> shape) override {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        void* p =
            pool_->take(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(float));
        std::shared_ptr<const void> owner(
            p, [pool = pool_](const void* q) { pool->give(const_cast<void*>(q)); });
        return Tensor::borrow(p, std::move(shape), DType::kF32, std::move(owner), Device::kCuda);
    }

    bool activations_on_device() const override { return true; }

    void mul_inplace(float* x, const float* y, std::int64_t n) override {
        Staging st(*pool_, stream_, weights_);
        cuda::mul_inplace(st.inout(x, n), st.in(y, n), n, stream_);
        st.finish();
    }

    void copy_block(const CopyBlockArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        CopyBlockArgs d = a;
        d.src = st.in(a.src, a.rows, a.cols, a.ld_src);
        d.dst = st.out(a.dst, a.rows, a.cols, a.ld_dst);
        cuda::copy_block(d, stream_);
        st.finish();
    }

    void upload(const float* host, float* dst, std::int64_t n) override { copy(dst, host, n); }

    void keep_weights(const std::vector<Tensor>& weights) override {
        if (stage_weights_ || weights_.holds(weights)) return;
        for (auto& r : weights_.replace(weights))
            if (r.device) pool_->give(r.device);
    }
    void weights_changed() override { weights_.all_written(); }
    void download(const float* src, float* host, std::int64_t n) override { copy(host, src, n); }

    std::unique_ptr<PendingDownload> download_async(const Tensor& src) override {
        if (src.empty() || !on_device(src.f32())) return ready_download(src);
        auto waiting_copy = [&] {
            Tensor host = Tensor::uninitialized(src.shape());
            download(src.f32(), host.f32(), src.numel());
            return ready_download(host);
        };
        if (sync_downloads_) return waiting_copy();
        const std::size_t n = static_cast<std::size_t>(src.numel()) * sizeof(float);
        std::shared_ptr<void> buffer;
        try {
            buffer = pinned_->take(n);
        } catch (const Error&) {  // no page-locked memory to be had
            return waiting_copy();
        }
        if (!copy_stream_)
            check(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking),
                  "cudaStreamCreate");
        // The copy waits for the ops queued so far; the compute stream does not wait for it.
        cudaEvent_t queued = nullptr, done = nullptr;
        check(cudaEventCreateWithFlags(&queued, cudaEventDisableTiming), "cudaEventCreate");
        check(cudaEventRecord(queued, stream_), "cudaEventRecord");
        const cudaError_t waited = cudaStreamWaitEvent(copy_stream_, queued, 0);
        cudaEventDestroy(queued);  // released once recorded work completes
        check(waited, "cudaStreamWaitEvent");
        Tensor host = Tensor::borrow(buffer.get(), src.shape(), DType::kF32, buffer);
        check(cudaMemcpyAsync(host.f32(), src.f32(), n, cudaMemcpyDeviceToHost, copy_stream_),
              "copy out");
        check(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
        check(cudaEventRecord(done, copy_stream_), "cudaEventRecord");
        return std::make_unique<CudaDownload>(src, std::move(host), done);
    }

    void zero(float* x, std::int64_t n) override {
        if (n <= 0) return;
        if (!on_device(x)) {
            std::memset(x, 0, static_cast<std::size_t>(n) * sizeof(float));
            return;
        }
        check(cudaMemsetAsync(x, 0, static_cast<std::size_t>(n) * sizeof(float), stream_),
              "memset");
    }

    void add_inplace(float* x, const float* y, std::int64_t n) override {
        Staging st(*pool_, stream_, weights_);
        cuda::add_inplace(st.inout(x, n), st.in(y, n), n, stream_);
        st.finish();
    }

    void gelu_tanh_inplace(float* x, std::int64_t n) override {
        Staging st(*pool_, stream_, weights_);
        cuda::gelu_tanh_inplace(st.inout(x, n), n, stream_);
        st.finish();
    }

    void sin_activation(const float* x,
                        const float* freq,
                        std::int64_t rows,
                        std::int64_t cols,
                        float* y) override {
        Staging st(*pool_, stream_, weights_);
        cuda::sin_activation(st.in(x, rows * cols), st.in(freq, cols), rows, cols,
                             st.out(y, rows * cols), stream_);
        st.finish();
    }

    // ---- backward (issue C2)

    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        Staging st(*pool_, stream_, weights_);
        const float* d_dy = st.in(dy, a.M, a.N, a.ld_y);
        const float* w = st.in(a.weight, a.N * a.K);
        const float* x = dweight ? st.in(a.x, a.M, a.K, a.ld_x) : nullptr;
        float* d_dx = st.inout(dx, a.M, a.K, a.ld_x);
        float* d_dw = st.inout(dweight, a.N * a.K);
        float* d_db = st.inout(dbias, a.N);
        // Column-major views: dy^T {N, M} ld ld_y, W^T {K, N} ld K, x^T {K, M} ld ld_x (or
        // packed bf16 copies under autocast).
        if ((d_dx || d_dw) && a.M > 0) {
            const Operand dyo = operand(st, d_dy, a.M, a.N, a.ld_y);
            if (d_dx)  // dx^T{K,M} += W^T{K,N} · dy^T{N,M}
                gemm(CUBLAS_OP_N, CUBLAS_OP_N, a.K, a.M, a.N, operand(st, w, a.N, a.K, a.K), dyo,
                     1.0f, d_dx, a.ld_x, "gemm dx");
            if (d_dw)  // dW^T{K,N} += x^T{K,M} · dy{M,N}
                gemm(CUBLAS_OP_N, CUBLAS_OP_T, a.K, a.N, a.M, operand(st, x, a.M, a.K, a.ld_x), dyo,
                     1.0f, d_dw, a.K, "gemm dweight");
        }
        if (d_db)
            add_column_sums(d_dy, a.M, a.N, a.ld_y, d_db, st.scratch(row_part_floats(a.M, a.N)),
                            stream_);
        st.finish();
    }

    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        Staging st(*pool_, stream_, weights_);
        NormArgs d = a;
        d.x = st.in(a.x, a.rows * a.D);
        d.weight = st.in(a.weight, a.D);
        d.bias = st.in(a.bias, a.D);
        d.y = nullptr;
        cuda::norm_backward(d, st.in(dy, a.rows * a.D), st.inout(dx, a.rows * a.D),
                            st.inout(dweight, a.D), st.inout(dbias, a.D),
                            st.scratch(2 * a.rows + row_part_floats(a.rows, 2 * a.D)), stream_);
        st.finish();
    }

    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        Staging st(*pool_, stream_, weights_);
        CausalConv1dArgs d = a;
        d.x = st.in(a.x, a.L, a.E, a.ld_x);
        d.weight = st.in(a.weight, a.E * a.W);
        d.bias = st.in(a.bias, a.E);
        d.state = const_cast<float*>(st.in(a.state, a.E * a.W));  // read only in backward
        d.y = nullptr;
        CausalConv1dGrads dg;
        dg.dy = st.in(g.dy, a.L, a.E, a.ld_y);
        dg.dx = st.inout(g.dx, a.L, a.E, a.ld_x);
        dg.dweight = st.inout(g.dweight, a.E * a.W);
        dg.dbias = st.inout(g.dbias, a.E);
        dg.dstate_init = st.inout(g.dstate_init, a.E * a.W);
        cuda::causal_conv1d_backward(
            d, dg, st.scratch(a.L * a.E + row_part_floats(a.L, a.E * (a.W + 1))), stream_);
        st.finish();
    }

    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
        DNASSM_CHECK(!a.bf16, ErrorKind::kUsage, "bfloat16 scan storage is for inference only");
        const ScanBackwardPlan plan = plan_selective_scan_backward(a.L, a.E, a.N);
        Staging st(*pool_, stream_, weights_);
        SelectiveScanArgs d = scan_inputs(st, a);
        d.state = const_cast<float*>(st.in(a.state, a.E * a.N));  // the initial state, read only
        d.y = nullptr;
        SelectiveScanGrads dg;
        dg.dy = st.in(g.dy, a.L, a.E, a.ld_y);
        dg.dstate_final = st.in(g.dstate_final, a.E * a.N);
        dg.du = st.inout(g.du, a.L, a.E, a.ld_u);
        dg.ddelta = st.inout(g.ddelta, a.L, a.E, a.ld_delta);
        dg.dz = a.z ? st.inout(g.dz, a.L, a.E, a.ld_z) : nullptr;
        dg.dA = st.inout(g.dA, a.E * a.N);
        dg.dB = st.inout(g.dB, a.L, a.N, a.ld_B);
        dg.dC = st.inout(g.dC, a.L, a.N, a.ld_C);
        dg.dD = a.D ? st.inout(g.dD, a.E) : nullptr;
        dg.ddelta_bias = a.delta_bias ? st.inout(g.ddelta_bias, a.E) : nullptr;
        dg.dstate_init = st.inout(g.dstate_init, a.E * a.N);
        cuda::selective_scan_backward(
            d, dg, plan, st.scratch(scan_backward_scratch(plan, a.E, a.N).total), stream_);
        st.finish();
    }

    void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) override {
        const std::int64_t L = a.L, D = a.D, F = a.F, n = long_conv_fft_size(L), nc = n / 2 + 1;
        Staging st(*pool_, stream_, weights_);
        const HyenaConvArgs d = device_args(st, a);
        const float* dy = st.in(g.dy, L * D);
        float* k_pad = st.scratch(D * n);
        float* w_pad = st.scratch(D * n);
        float* gg_pad = st.scratch(D * n);
        float* buf = st.scratch(D * n);
        auto* kf = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        auto* wf = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        auto* gf = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        auto* prod = reinterpret_cast<cufftComplex*>(st.scratch(2 * D * nc));
        hyena_filter_padded(d, n, k_pad, stream_);
        hyena_pad_input(d, n, w_pad, stream_);
        hyena_pad_gated_grad(d, dy, n, gg_pad, stream_);
        const cufftHandle r2c = plans(n, D).first, c2r = plans(n, D).second;
        check_fft(cufftExecR2C(r2c, k_pad, kf), "R2C filter");
        check_fft(cufftExecR2C(r2c, w_pad, wf), "R2C input");
        check_fft(cufftExecR2C(r2c, gg_pad, gf), "R2C gradient");
        // Each product is formed anew: C2R overwrites its input.
        auto inverse_of = [&](const cufftComplex* p, const cufftComplex* q, bool conj_q) {
            complex_product(reinterpret_cast<float2*>(prod), reinterpret_cast<const float2*>(p),
                            reinterpret_cast<const float2*>(q), D * nc, conj_q, stream_);
            check_fft(cufftExecC2R(c2r, prod, buf), "C2R");
        };
        if (float* dx0 = st.inout(g.dx0, L * D)) {  // the convolution itself, w * k
            inverse_of(wf, kf, false);
            hyena_backward_epilogue(d, dy, n, buf, dx0, /*dw=*/false, stream_);
        }
        if (float* dw = st.inout(g.dw, L * D)) {  // Σ_s gg[s] k[s − t]
            inverse_of(gf, kf, true);
            hyena_backward_epilogue(d, dy, n, buf, dw, /*dw=*/true, stream_);
        }
        if (float* dbias = st.inout(g.dbias, D))
            add_channel_dots(gg_pad, w_pad, D, L, n, dbias, stream_);
        float* dbasis = st.inout(g.dbasis, L * F);
        float* dfw = st.inout(g.dfilter_w, D * F);
        if (dbasis || dfw) {  // dk[j] = Σ_t gg[t] w[t − j], through the modulation
            inverse_of(gf, wf, true);
            hyena_backward_modulate(d, n, buf, stream_);
            const float one = 1.0f;
            const int iF = static_cast<int>(F), iL = static_cast<int>(L), iD = static_cast<int>(D),
                      in = static_cast<int>(n);
            // Column-major: dbasis^T{F,L} += filter_w^T{F,D} · dk{D,L}, dk stored as {n, D} ld n.
            if (dbasis)
                check_blas(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_T, iF, iL, iD, &one,
                                       d.filter_w, iF, buf, in, &one, dbasis, iF),
                           "sgemm dbasis");
            // dfilter_w^T{F,D} += basis^T{F,L} · dk^T{L,D}.
            if (dfw)
                check_blas(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_N, iF, iD, iL, &one, d.basis,
                                       iF, buf, in, &one, dfw, iF),
                           "sgemm dfilter_w");
        }
        st.finish();
    }

    void embedding_backward(const EmbeddingArgs& a,
                            const float* dy,
                            std::int64_t ld,
                            float* dtable) override {
        Staging st(*pool_, stream_, weights_);
        EmbeddingArgs d = a;
        d.ids = st.in(a.ids, a.L);
        d.table = nullptr;
        d.y = nullptr;
        cuda::embedding_backward(d, st.in(dy, a.L, a.D, ld), ld, st.inout(dtable, a.V * a.D),
                                 st.scratch(row_part_floats(a.L, a.V * a.D)), stream_);
        st.finish();
    }

    double next_token_loss(const float* logits,
                           std::int64_t L,
                           std::int64_t V,
                           const std::int32_t* ids,
                           float* dlogits) override {
        Staging st(*pool_, stream_, weights_);
        auto* row_loss = reinterpret_cast<double*>(st.scratch(2 * L));
        cuda::next_token_loss(st.in(logits, L * V), L, V, st.in(ids, L), row_loss,
                              st.out(dlogits, L * V), stream_);
        std::vector<double> rows(static_cast<size_t>(L > 1 ? L - 1 : 0));
        check(cudaMemcpyAsync(rows.data(), row_loss, rows.size() * sizeof(double),
                              cudaMemcpyDeviceToHost, stream_),
              "copy out");
        st.finish();
        check(cudaStreamSynchronize(stream_), "synchronize");  // rows is read below
        double loss = 0.0;  // rows summed in order, as on the CPU
        const double scale = 1.0 / static_cast<double>(L - 1);
        for (double r : rows) loss += r * scale;
        return loss;
    }

    void adamw_update(const AdamWArgs& a) override {
        Staging st(*pool_, stream_, weights_);
        AdamWArgs d = a;
        d.param = st.inout(a.param, a.n);
        d.grad = st.in(a.grad, a.n);
        d.m = st.inout(a.m, a.n);
        d.v = st.inout(a.v, a.n);
        cuda::adamw_update(d, stream_);
        st.finish();
    }

    void gelu_tanh_backward(const float* x_in,
                            const float* dy,
                            float* dx,
                            std::int64_t n) override {
        Staging st(*pool_, stream_, weights_);
        cuda::gelu_tanh_backward(st.in(x_in, n), st.in(dy, n), st.inout(dx, n), n, stream_);
        st.finish();
    }

    void hyena_gates_backward(const float* uc,
                              const float* dx0,
                              const float* dw,
                              std::int64_t n,
                              std::int64_t D,
                              float* duc) override {
        Staging st(*pool_, stream_, weights_);
        cuda::hyena_gates_backward(st.in(uc, n * 3 * D), st.in(dx0, n * D), st.in(dw, n * D), n, D,
                                   st.inout(duc, n * 3 * D), stream_);
        st.finish();
    }

    void sin_activation_backward(const float* x,
                                 const float* freq,
                                 const float* dy,
                                 std::int64_t rows,
                                 std::int64_t cols,
                                 float* dx,
                                 float* dfreq) override {
        Staging st(*pool_, stream_, weights_);
        auto* partial = reinterpret_cast<double*>(st.scratch(2 * sin_backward_parts(rows) * cols));
        cuda::sin_activation_backward(st.in(x, rows * cols), st.in(freq, cols),
                                      st.in(dy, rows * cols), rows, cols, st.inout(dx, rows * cols),
                                      st.inout(dfreq, cols), partial, stream_);
        st.finish();
    }

  private:
    // A GEMM operand as cuBLAS sees it (column-major): the fp32 rows in place, or under autocast
    // (set_bf16_gemms) a packed bfloat16 copy of them.
    struct Operand {
        const void* p = nullptr;
        std::int64_t ld = 0;
        bool bf16 = false;
    };
    Operand operand(
        Staging& st, const float* rows_of, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!bf16_gemms()) return {rows_of, ld, false};
        void* packed = st.scratch((rows * cols + 1) / 2);
        cuda::to_bf16_rows(rows_of, rows, cols, ld, packed, stream_);
        return {packed, cols, true};
    }
    // C{m, n} = op(A)·op(B) + beta·C in cuBLAS's column-major terms; bf16 operands accumulate in
    // fp32 (tensor cores), fp32 ones run as plain SGEMM (no TF32).
    void gemm(cublasOperation_t ta,
              cublasOperation_t tb,
              std::int64_t m,
              std::int64_t n,
              std::int64_t k,
              const Operand& A,
              const Operand& B,
              float beta,
              float* C,
              std::int64_t ldc,
              const char* what) {
        const float one = 1.0f;
        const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
        if (A.bf16)
            check_blas(cublasGemmEx(blas_, ta, tb, im, in, ik, &one, A.p, CUDA_R_16BF,
                                    static_cast<int>(A.ld), B.p, CUDA_R_16BF,
                                    static_cast<int>(B.ld), &beta, C, CUDA_R_32F,
                                    static_cast<int>(ldc), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                       what);
        else
            check_blas(cublasSgemm(blas_, ta, tb, im, in, ik, &one, static_cast<const float*>(A.p),
                                   static_cast<int>(A.ld), static_cast<const float*>(B.p),
                                   static_cast<int>(B.ld), &beta, C, static_cast<int>(ldc)),
                       what);
    }

    // Either direction (or device to device): unified addressing tells the runtime which.
    void copy(float* dst, const float* src, std::int64_t n) {
        if (n <= 0) return;
        check(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(float),
                              cudaMemcpyDefault, stream_),
              "copy");
        check(cudaStreamSynchronize(stream_), "synchronize");
    }

    // The scan's read-only inputs on the device (state and y left for the op to set).
    static SelectiveScanArgs scan_inputs(Staging& st, const SelectiveScanArgs& a) {
        SelectiveScanArgs d = a;
        d.u = st.in(a.u, a.L, a.E, a.ld_u);
        d.delta = st.in(a.delta, a.L, a.E, a.ld_delta);
        d.A = st.in(a.A, a.E * a.N);
        d.B = st.in(a.B, a.L, a.N, a.ld_B);
        d.C = st.in(a.C, a.L, a.N, a.ld_C);
        d.D = st.in(a.D, a.E);
        d.delta_bias = st.in(a.delta_bias, a.E);
        d.z = st.in(a.z, a.L, a.E, a.ld_z);
        return d;
    }

    // The Hyena conv's inputs on the device (y left for the op to set).
    static HyenaConvArgs device_args(Staging& st, const HyenaConvArgs& a) {
        HyenaConvArgs d = a;
        d.x0 = st.in(a.x0, a.L * a.D);
        d.w = st.in(a.w, a.L * a.D);
        d.basis = st.in(a.basis, a.L * a.F);
        d.filter_w = st.in(a.filter_w, a.D * a.F);
        d.t = st.in(a.t, a.L);
        d.deltas = st.in(a.deltas, a.D);
        d.bias = st.in(a.bias, a.D);
        d.y = nullptr;
        return d;
    }

    std::pair<cufftHandle, cufftHandle>& plans(std::int64_t n, std::int64_t batch) {
        const auto key = std::make_pair(n, batch);
        auto it = fft_plans_.find(key);
        if (it != fft_plans_.end()) return it->second;
        int len = static_cast<int>(n);
        // cuFFT allocates its work area itself: if memory cached by the pool is in the way, the
        // pool gives it back and the plan is tried once more.
        auto plan = [&](cufftHandle* h, int in_dist, int out_dist, cufftType type) {
            auto make = [&] {
                return cufftPlanMany(h, 1, &len, nullptr, 1, in_dist, nullptr, 1, out_dist, type,
                                     static_cast<int>(batch));
            };
            cufftResult st = make();
            if (st == CUFFT_ALLOC_FAILED) {
                pool_->trim();
                st = make();
            }
            check_fft(st, type == CUFFT_R2C ? "plan R2C" : "plan C2R");
        };
        cufftHandle r2c = 0, c2r = 0;
        plan(&r2c, len, len / 2 + 1, CUFFT_R2C);
        plan(&c2r, len / 2 + 1, len, CUFFT_C2R);
        check_fft(cufftSetStream(r2c, stream_), "set stream");
        check_fft(cufftSetStream(c2r, stream_), "set stream");
        return fft_plans_.emplace(key, std::make_pair(r2c, c2r)).first->second;
    }

    int device_;
    std::string name_;
    std::shared_ptr<DevicePool> pool_;
    cudaStream_t stream_ = nullptr;       // pool_'s
    cudaStream_t copy_stream_ = nullptr;  // download_async's, made at its first use
    // DNASSM_CUDA_SYNC_DOWNLOADS=1: download_async copies at once and waits (to rule the copy
    // stream out when looking for a fault).
    bool sync_downloads_ = std::getenv("DNASSM_CUDA_SYNC_DOWNLOADS") != nullptr;
    // Page-locked buffers for download_async (a few windows' outputs in flight at most).
    std::shared_ptr<HostBufferCache> pinned_ = HostBufferCache::create(
        [](std::size_t n) {
            void* p = nullptr;
            if (cudaHostAlloc(&p, n, cudaHostAllocDefault) != cudaSuccess) {
                (void)cudaGetLastError();
                throw Error(ErrorKind::kResource, "CUDA: no page-locked host memory");
            }
            return p;
        },
        [](void* p) { cudaFreeHost(p); },
        4);
    // Weights kept on the device between ops (keep_weights); DNASSM_CUDA_STAGE_WEIGHTS=1 copies
    // them for every op instead (to rule the cache out when looking for a fault).
    WeightRegistry weights_;
    bool stage_weights_ = std::getenv("DNASSM_CUDA_STAGE_WEIGHTS") != nullptr;
    cublasHandle_t blas_ = nullptr;
    std::map<std::pair<std::int64_t, std::int64_t>, std::pair<cufftHandle, cufftHandle>> fft_plans_;
};

}  // namespace

}  // namespace dnassm::cuda

// The plugin's C entry points (looked up with dlsym by kernels/registry.cpp).
extern "C" {

/// Number of usable CUDA devices, or -1 with a reason in `why` (no driver, no device, ...).
int dnassm_cuda_device_count(char* why, int why_len) {
    int n = 0;
    const cudaError_t st = cudaGetDeviceCount(&n);
    if (st != cudaSuccess) {
        snprintf(why, static_cast<size_t>(why_len), "%s", cudaGetErrorString(st));
        return -1;
    }
    if (n == 0) snprintf(why, static_cast<size_t>(why_len), "no CUDA device found");
    return n;
}

/// A new backend on `device`; throws dnassm::Error on failure.
dnassm::Backend* dnassm_cuda_create_backend(int device) {
    return new dnassm::cuda::CudaBackend(device);
}
}
