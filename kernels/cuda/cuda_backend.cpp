// The CUDA backend (issue C1), built as a plugin (libdnassm_cuda.so) that dnassm loads at run
// time, so the same dnassm binary runs where there is no GPU, driver or CUDA library.
//
// Stage 1 (this file): ops take host pointers, as the Backend interface does today; each op
// copies its inputs into pooled device buffers, runs the kernels (cuda_ops.cu, cuda_backward.cu,
// cuBLAS, cuFFT) and copies its outputs back. Keeping activations on the device across ops is
// stage 2.
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

#include "../common/fft_size.h"
#include "cuda_backward.h"
#include "cuda_ops.h"
#include "launch_plan.h"

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

// Caching device allocator: freed buffers go back to a free list of their size class, so the
// steady state of a streamed run allocates nothing.
class DevicePool {
  public:
    ~DevicePool() {
        for (auto& [size, list] : free_)
            for (void* p : list) cudaFree(p);
    }
    void* take(std::size_t bytes) {
        const std::size_t c = pool_size_class(bytes);
        auto& list = free_[c];
        if (!list.empty()) {
            void* p = list.back();
            list.pop_back();
            return p;
        }
        void* p = nullptr;
        check(cudaMalloc(&p, c), "cudaMalloc");
        return p;
    }
    void give(void* p, std::size_t bytes) { free_[pool_size_class(bytes)].push_back(p); }

  private:
    std::map<std::size_t, std::vector<void*>> free_;
};

// A device buffer leased from the pool for the duration of one op.
class Lease {
  public:
    Lease(DevicePool& pool, std::size_t bytes) : pool_(pool), bytes_(bytes ? bytes : 4) {
        p_ = pool_.take(bytes_);
    }
    ~Lease() { pool_.give(p_, bytes_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    float* f() const { return static_cast<float*>(p_); }
    template <typename T>
    T* as() const {
        return static_cast<T*>(p_);
    }

  private:
    DevicePool& pool_;
    std::size_t bytes_;
    void* p_ = nullptr;
};

// The device side of one backward op: inputs copied up, gradient outputs copied up (they are
// accumulated into) and registered to go back down, all leased from the pool until finish().
class Staging {
  public:
    Staging(DevicePool& pool, cudaStream_t stream) : pool_(pool), stream_(stream) {}
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    /// A device copy of `rows` rows of `cols` floats with row stride ld (null stays null).
    const float* in(const float* host, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!host) return nullptr;
        float* d = lease(span_floats(rows, cols, ld));
        copy(d, host, span_floats(rows, cols, ld), cudaMemcpyHostToDevice);
        return d;
    }
    const float* in(const float* host, std::int64_t n) { return in(host, 1, n, n); }
    /// The same for an accumulated output, copied back by finish() (only the rows' `cols` values,
    /// so host data between rows is left alone).
    float* inout(float* host, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        if (!host) return nullptr;
        float* d = const_cast<float*>(in(host, rows, cols, ld));
        outputs_.push_back({host, d, rows, cols, ld});
        return d;
    }
    float* inout(float* host, std::int64_t n) { return inout(host, 1, n, n); }
    float* scratch(std::int64_t n) { return lease(n); }

    void finish() {
        for (const auto& o : outputs_)
            if (o.rows > 0)
                check(cudaMemcpy2DAsync(o.host, bytes(o.ld), o.dev, bytes(o.ld), bytes(o.cols),
                                        o.rows, cudaMemcpyDeviceToHost, stream_),
                      "copy out");
        check(cudaStreamSynchronize(stream_), "synchronize");
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
    float* lease(std::int64_t n) {
        leases_.push_back(std::make_unique<Lease>(pool_, bytes(std::max<std::int64_t>(n, 1))));
        return leases_.back()->f();
    }
    void copy(float* dst, const float* src, std::int64_t n, cudaMemcpyKind kind) {
        if (n > 0) check(cudaMemcpyAsync(dst, src, bytes(n), kind, stream_), "copy in");
    }

    DevicePool& pool_;
    cudaStream_t stream_;
    std::vector<std::unique_ptr<Lease>> leases_;
    std::vector<Output> outputs_;
};

class CudaBackend final : public Backend {
  public:
    explicit CudaBackend(int device) : device_(device) {
        check(cudaSetDevice(device), "cudaSetDevice");
        check(cudaStreamCreate(&stream_), "cudaStreamCreate");
        check_blas(cublasCreate(&blas_), "cublasCreate");
        check_blas(cublasSetStream(blas_, stream_), "cublasSetStream");
        // Full fp32 GEMMs (no TF32), so results match the CPU to fp32 rounding.
        check_blas(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        cudaDeviceProp prop{};
        check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
        name_ = "cuda:" + std::to_string(device) + " (" + prop.name + ")";
    }
    ~CudaBackend() override {
        for (auto& [n, plans] : fft_plans_) {
            cufftDestroy(plans.first);
            cufftDestroy(plans.second);
        }
        cublasDestroy(blas_);
        cudaStreamDestroy(stream_);
    }
    std::string name() const override { return name_; }

    void linear(const LinearArgs& a) override {
        Lease x(pool_, bytes(span_floats(a.M, a.K, a.ld_x))), w(pool_, bytes(a.N * a.K)),
            y(pool_, bytes(span_floats(a.M, a.N, a.ld_y)));
        up(x.f(), a.x, span_floats(a.M, a.K, a.ld_x));
        up(w.f(), a.weight, a.N * a.K);
        if (a.accumulate) up(y.f(), a.y, span_floats(a.M, a.N, a.ld_y));
        // Row-major y{M,N} = x{M,K}·W^T is column-major y^T{N,M} = W^T{..}·x^T: W is {K,N}
        // column-major with ld K, transposed; x^T is {K,M} with ld ld_x.
        const float one = 1.0f, beta = a.accumulate ? 1.0f : 0.0f;
        check_blas(cublasSgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(a.N),
                               static_cast<int>(a.M), static_cast<int>(a.K), &one, w.f(),
                               static_cast<int>(a.K), x.f(), static_cast<int>(a.ld_x), &beta, y.f(),
                               static_cast<int>(a.ld_y)),
                   "sgemm");
        if (a.bias) {
            Lease b(pool_, bytes(a.N));
            up(b.f(), a.bias, a.N);
            add_bias_rows(y.f(), a.ld_y, b.f(), a.M, a.N, stream_);
            down(a.y, y.f(), span_floats(a.M, a.N, a.ld_y), a.ld_y, a.N, a.M);
            return;
        }
        down(a.y, y.f(), span_floats(a.M, a.N, a.ld_y), a.ld_y, a.N, a.M);
    }

    void norm(const NormArgs& a) override {
        Lease x(pool_, bytes(a.rows * a.D)), w(pool_, bytes(a.D)), b(pool_, bytes(a.D)),
            y(pool_, bytes(a.rows * a.D));
        up(x.f(), a.x, a.rows * a.D);
        up(w.f(), a.weight, a.D);
        if (a.bias) up(b.f(), a.bias, a.D);
        NormArgs d = a;
        d.x = x.f();
        d.weight = w.f();
        d.bias = a.bias ? b.f() : nullptr;
        d.y = y.f();
        cuda::norm(d, stream_);
        down_all(a.y, y.f(), a.rows * a.D);
    }

    void causal_conv1d(const CausalConv1dArgs& a) override {
        const std::int64_t nx = span_floats(a.L, a.E, a.ld_x), ny = span_floats(a.L, a.E, a.ld_y);
        Lease x(pool_, bytes(nx)), w(pool_, bytes(a.E * a.W)), b(pool_, bytes(a.E)),
            st(pool_, bytes(a.E * a.W)), y(pool_, bytes(ny));
        up(x.f(), a.x, nx);
        up(w.f(), a.weight, a.E * a.W);
        if (a.bias) up(b.f(), a.bias, a.E);
        if (a.state) up(st.f(), a.state, a.E * a.W);
        CausalConv1dArgs d = a;
        d.x = x.f();
        d.weight = w.f();
        d.bias = a.bias ? b.f() : nullptr;
        d.state = a.state ? st.f() : nullptr;
        d.y = y.f();
        cuda::causal_conv1d(d, stream_);
        down(a.y, y.f(), ny, a.ld_y, a.E, a.L);
        if (a.state) down_all(a.state, st.f(), a.E * a.W);
    }

    void selective_scan(const SelectiveScanArgs& a) override {
        const ScanPlan plan = plan_selective_scan(a.L, a.E, a.N);
        const std::int64_t nu = span_floats(a.L, a.E, a.ld_u),
                           nd = span_floats(a.L, a.E, a.ld_delta),
                           nB = span_floats(a.L, a.N, a.ld_B), nC = span_floats(a.L, a.N, a.ld_C),
                           nz = a.z ? span_floats(a.L, a.E, a.ld_z) : 0,
                           ny = span_floats(a.L, a.E, a.ld_y);
        Lease u(pool_, bytes(nu)), dl(pool_, bytes(nd)), A(pool_, bytes(a.E * a.N)),
            B(pool_, bytes(nB)), C(pool_, bytes(nC)), D(pool_, bytes(a.E)), bias(pool_, bytes(a.E)),
            z(pool_, bytes(nz)), st(pool_, bytes(a.E * a.N)), y(pool_, bytes(ny)),
            scratch(pool_, bytes(3 * plan.n_chunks * a.E * a.N));
        up(u.f(), a.u, nu);
        up(dl.f(), a.delta, nd);
        up(A.f(), a.A, a.E * a.N);
        up(B.f(), a.B, nB);
        up(C.f(), a.C, nC);
        if (a.D) up(D.f(), a.D, a.E);
        if (a.delta_bias) up(bias.f(), a.delta_bias, a.E);
        if (a.z) up(z.f(), a.z, nz);
        if (a.state) up(st.f(), a.state, a.E * a.N);
        SelectiveScanArgs d = a;
        d.u = u.f();
        d.delta = dl.f();
        d.A = A.f();
        d.B = B.f();
        d.C = C.f();
        d.D = a.D ? D.f() : nullptr;
        d.delta_bias = a.delta_bias ? bias.f() : nullptr;
        d.z = a.z ? z.f() : nullptr;
        d.state = a.state ? st.f() : nullptr;
        d.y = y.f();
        if (!a.bf16) {
            cuda::selective_scan(d, plan, scratch.f(), stream_);
        } else {
            // bfloat16 copies of the stored arrays (same element strides), y converted back.
            auto half = [&](std::int64_t n) {
                return std::make_unique<Lease>(pool_, static_cast<std::size_t>(n > 0 ? n : 1) * 2);
            };
            auto hu = half(nu), hd = half(nd), hB = half(nB), hC = half(nC), hz = half(nz),
                 hy = half(ny);
            to_bf16(u.f(), hu->f(), nu, stream_);
            to_bf16(dl.f(), hd->f(), nd, stream_);
            to_bf16(B.f(), hB->f(), nB, stream_);
            to_bf16(C.f(), hC->f(), nC, stream_);
            if (a.z) to_bf16(z.f(), hz->f(), nz, stream_);
            SelectiveScanArgs h = d;
            h.u = hu->f();
            h.delta = hd->f();
            h.B = hB->f();
            h.C = hC->f();
            h.z = a.z ? hz->f() : nullptr;
            h.y = hy->f();
            cuda::selective_scan(h, plan, scratch.f(), stream_);
            from_bf16(hy->f(), y.f(), ny, stream_);
        }
        down(a.y, y.f(), ny, a.ld_y, a.E, a.L);
        if (a.state) down_all(a.state, st.f(), a.E * a.N);
    }

    void embedding(const EmbeddingArgs& a) override {
        Lease ids(pool_, a.L * sizeof(std::int32_t)), table(pool_, bytes(a.V * a.D)),
            y(pool_, bytes(a.L * a.D));
        check(cudaMemcpyAsync(ids.as<std::int32_t>(), a.ids, a.L * sizeof(std::int32_t),
                              cudaMemcpyHostToDevice, stream_),
              "copy ids");
        up(table.f(), a.table, a.V * a.D);
        EmbeddingArgs d = a;
        d.ids = ids.as<std::int32_t>();
        d.table = table.f();
        d.y = y.f();
        cuda::embedding(d, stream_);
        down_all(a.y, y.f(), a.L * a.D);
    }

    void hyena_conv(const HyenaConvArgs& a) override {
        const std::int64_t L = a.L, D = a.D, F = a.F, n = long_conv_fft_size(L), nc = n / 2 + 1;
        Lease x0(pool_, bytes(L * D)), w(pool_, bytes(L * D)), basis(pool_, bytes(L * F)),
            fw(pool_, bytes(D * F)), t(pool_, bytes(L)), deltas(pool_, bytes(D)),
            bias(pool_, bytes(D)), k_pad(pool_, bytes(D * n)), w_pad(pool_, bytes(D * n)),
            kf(pool_, 2 * bytes(D * nc)), wf(pool_, 2 * bytes(D * nc));
        up(x0.f(), a.x0, L * D);
        up(w.f(), a.w, L * D);
        up(basis.f(), a.basis, L * F);
        up(fw.f(), a.filter_w, D * F);
        up(t.f(), a.t, L);
        if (a.deltas) up(deltas.f(), a.deltas, D);
        up(bias.f(), a.bias, D);
        HyenaConvArgs d = a;
        d.x0 = x0.f();
        d.w = w.f();
        d.basis = basis.f();
        d.filter_w = fw.f();
        d.t = t.f();
        d.deltas = a.deltas ? deltas.f() : nullptr;
        d.bias = bias.f();
        d.y = x0.f();  // in place, as the CPU op allows
        hyena_filter_padded(d, n, k_pad.f(), stream_);
        hyena_pad_input(d, n, w_pad.f(), stream_);
        auto& [r2c, c2r] = plans(n, D);
        check_fft(cufftExecR2C(r2c, k_pad.f(), kf.as<cufftComplex>()), "R2C filter");
        check_fft(cufftExecR2C(r2c, w_pad.f(), wf.as<cufftComplex>()), "R2C input");
        complex_multiply(wf.as<float2>(), kf.as<float2>(), D * nc, stream_);
        check_fft(cufftExecC2R(c2r, wf.as<cufftComplex>(), w_pad.f()), "C2R");
        hyena_epilogue(d, n, w_pad.f(), stream_);
        down_all(a.y, x0.f(), L * D);
    }

    void add_inplace(float* x, const float* y, std::int64_t n) override {
        Lease dx(pool_, bytes(n)), dy(pool_, bytes(n));
        up(dx.f(), x, n);
        up(dy.f(), y, n);
        cuda::add_inplace(dx.f(), dy.f(), n, stream_);
        down_all(x, dx.f(), n);
    }

    void gelu_tanh_inplace(float* x, std::int64_t n) override {
        Lease dx(pool_, bytes(n));
        up(dx.f(), x, n);
        cuda::gelu_tanh_inplace(dx.f(), n, stream_);
        down_all(x, dx.f(), n);
    }

    void sin_activation(const float* x,
                        const float* freq,
                        std::int64_t rows,
                        std::int64_t cols,
                        float* y) override {
        Staging st(pool_, stream_);
        const float* dx = st.in(x, rows * cols);
        const float* df = st.in(freq, cols);
        float* dy = st.scratch(rows * cols);
        cuda::sin_activation(dx, df, rows, cols, dy, stream_);
        check(cudaMemcpyAsync(y, dy, static_cast<std::size_t>(rows * cols) * sizeof(float),
                              cudaMemcpyDeviceToHost, stream_),
              "copy out");
        st.finish();
    }

    // ---- backward (issue C2)

    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        Staging st(pool_, stream_);
        const float* d_dy = st.in(dy, a.M, a.N, a.ld_y);
        const float* w = st.in(a.weight, a.N * a.K);
        const float* x = dweight ? st.in(a.x, a.M, a.K, a.ld_x) : nullptr;
        float* d_dx = st.inout(dx, a.M, a.K, a.ld_x);
        float* d_dw = st.inout(dweight, a.N * a.K);
        float* d_db = st.inout(dbias, a.N);
        const float one = 1.0f;
        const int M = static_cast<int>(a.M), K = static_cast<int>(a.K), N = static_cast<int>(a.N);
        // Column-major views: dy^T {N, M} ld ld_y, W^T {K, N} ld K, x^T {K, M} ld ld_x.
        if (d_dx && M > 0)  // dx^T{K,M} += W^T{K,N} · dy^T{N,M}
            check_blas(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_N, K, M, N, &one, w, K, d_dy,
                                   static_cast<int>(a.ld_y), &one, d_dx, static_cast<int>(a.ld_x)),
                       "sgemm dx");
        if (d_dw && M > 0)  // dW^T{K,N} += x^T{K,M} · dy{M,N}
            check_blas(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, &one, x,
                                   static_cast<int>(a.ld_x), d_dy, static_cast<int>(a.ld_y), &one,
                                   d_dw, K),
                       "sgemm dweight");
        if (d_db) add_column_sums(d_dy, a.M, a.N, a.ld_y, d_db, stream_);
        st.finish();
    }

    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        Staging st(pool_, stream_);
        NormArgs d = a;
        d.x = st.in(a.x, a.rows * a.D);
        d.weight = st.in(a.weight, a.D);
        d.bias = st.in(a.bias, a.D);
        d.y = nullptr;
        cuda::norm_backward(d, st.in(dy, a.rows * a.D), st.inout(dx, a.rows * a.D),
                            st.inout(dweight, a.D), st.inout(dbias, a.D), st.scratch(2 * a.rows),
                            stream_);
        st.finish();
    }

    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        Staging st(pool_, stream_);
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
        cuda::causal_conv1d_backward(d, dg, st.scratch(a.L * a.E), stream_);
        st.finish();
    }

    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
        DNASSM_CHECK(!a.bf16, ErrorKind::kUsage, "bfloat16 scan storage is for inference only");
        const ScanBackwardPlan plan = plan_selective_scan_backward(a.L, a.E, a.N);
        Staging st(pool_, stream_);
        SelectiveScanArgs d = a;
        d.u = st.in(a.u, a.L, a.E, a.ld_u);
        d.delta = st.in(a.delta, a.L, a.E, a.ld_delta);
        d.A = st.in(a.A, a.E * a.N);
        d.B = st.in(a.B, a.L, a.N, a.ld_B);
        d.C = st.in(a.C, a.L, a.N, a.ld_C);
        d.D = st.in(a.D, a.E);
        d.delta_bias = st.in(a.delta_bias, a.E);
        d.z = st.in(a.z, a.L, a.E, a.ld_z);
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
        Staging st(pool_, stream_);
        HyenaConvArgs d = a;
        d.x0 = st.in(a.x0, L * D);
        d.w = st.in(a.w, L * D);
        d.basis = st.in(a.basis, L * F);
        d.filter_w = st.in(a.filter_w, D * F);
        d.t = st.in(a.t, L);
        d.deltas = st.in(a.deltas, D);
        d.bias = st.in(a.bias, D);
        d.y = nullptr;
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
            hyena_backward_dx0(d, dy, n, buf, dx0, stream_);
        }
        if (float* dw = st.inout(g.dw, L * D)) {  // Σ_s gg[s] k[s − t]
            inverse_of(gf, kf, true);
            hyena_backward_dw(d, dy, n, buf, dw, stream_);
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
        Staging st(pool_, stream_);
        EmbeddingArgs d = a;
        d.ids = ids_up(st, a.ids, a.L);
        d.table = nullptr;
        d.y = nullptr;
        cuda::embedding_backward(d, st.in(dy, a.L, a.D, ld), ld, st.inout(dtable, a.V * a.D),
                                 stream_);
        st.finish();
    }

    double next_token_loss(const float* logits,
                           std::int64_t L,
                           std::int64_t V,
                           const std::int32_t* ids,
                           float* dlogits) override {
        Staging st(pool_, stream_);
        const std::int32_t* d_ids = ids_up(st, ids, L);
        auto* row_loss = reinterpret_cast<double*>(st.scratch(2 * L));
        float* d_dl = dlogits ? st.scratch(L * V) : nullptr;
        cuda::next_token_loss(st.in(logits, L * V), L, V, d_ids, row_loss, d_dl, stream_);
        std::vector<double> rows(static_cast<size_t>(L > 1 ? L - 1 : 0));
        check(cudaMemcpyAsync(rows.data(), row_loss, rows.size() * sizeof(double),
                              cudaMemcpyDeviceToHost, stream_),
              "copy out");
        if (dlogits)
            check(cudaMemcpyAsync(dlogits, d_dl, static_cast<std::size_t>(L * V) * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream_),
                  "copy out");
        st.finish();
        double loss = 0.0;  // rows summed in order, as on the CPU
        const double scale = 1.0 / static_cast<double>(L - 1);
        for (double r : rows) loss += r * scale;
        return loss;
    }

    void adamw_update(const AdamWArgs& a) override {
        Staging st(pool_, stream_);
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
        Staging st(pool_, stream_);
        cuda::gelu_tanh_backward(st.in(x_in, n), st.in(dy, n), st.inout(dx, n), n, stream_);
        st.finish();
    }

  private:
    // Token ids copied to the device into a lease held by `st`.
    const std::int32_t* ids_up(Staging& st, const std::int32_t* ids, std::int64_t L) {
        auto* d = reinterpret_cast<std::int32_t*>(st.scratch(L));
        check(cudaMemcpyAsync(d, ids, static_cast<std::size_t>(L) * sizeof(std::int32_t),
                              cudaMemcpyHostToDevice, stream_),
              "copy ids");
        return d;
    }
    static std::size_t bytes(std::int64_t floats) {
        return static_cast<std::size_t>(floats) * sizeof(float);
    }
    void up(float* dst, const float* src, std::int64_t n) {
        if (n > 0)
            check(cudaMemcpyAsync(dst, src, bytes(n), cudaMemcpyHostToDevice, stream_), "copy in");
    }
    // Copies rows of `cols` values back without touching the host's padding between rows (the
    // host buffer may hold other data there, e.g. the other half of a fused projection).
    void down(float* dst,
              const float* src,
              std::int64_t,
              std::int64_t ld,
              std::int64_t cols,
              std::int64_t rows) {
        if (rows > 0)
            check(cudaMemcpy2DAsync(dst, bytes(ld), src, bytes(ld), bytes(cols), rows,
                                    cudaMemcpyDeviceToHost, stream_),
                  "copy out");
        check(cudaStreamSynchronize(stream_), "synchronize");
    }
    void down_all(float* dst, const float* src, std::int64_t n) { down(dst, src, n, n, n, 1); }

    std::pair<cufftHandle, cufftHandle>& plans(std::int64_t n, std::int64_t batch) {
        const auto key = std::make_pair(n, batch);
        auto it = fft_plans_.find(key);
        if (it != fft_plans_.end()) return it->second;
        int len = static_cast<int>(n);
        cufftHandle r2c = 0, c2r = 0;
        check_fft(cufftPlanMany(&r2c, 1, &len, nullptr, 1, len, nullptr, 1, len / 2 + 1, CUFFT_R2C,
                                static_cast<int>(batch)),
                  "plan R2C");
        check_fft(cufftPlanMany(&c2r, 1, &len, nullptr, 1, len / 2 + 1, nullptr, 1, len, CUFFT_C2R,
                                static_cast<int>(batch)),
                  "plan C2R");
        check_fft(cufftSetStream(r2c, stream_), "set stream");
        check_fft(cufftSetStream(c2r, stream_), "set stream");
        return fft_plans_.emplace(key, std::make_pair(r2c, c2r)).first->second;
    }

    int device_;
    std::string name_;
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
    DevicePool pool_;
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
