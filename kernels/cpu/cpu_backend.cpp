// The two CPU backends: "cpu" (fast, threaded) and "cpu-ref" (naive oracle); ops that are exact
// either way live once, in CpuBackendCommon.
#include "cpu_backend.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <cblas.h>

#include "dnassm/error.h"
#include "dnassm/tensor.h"

#include "../common/bf16_round.h"
#include "backward.h"
#include "cpu_ops.h"

namespace dnassm::cpu {

namespace {

// SelectiveScanArgs::bf16 on the CPU: the stored arrays rounded to bfloat16, fp32 arithmetic,
// the output rounded (rows written back without touching the padding between them).
void scan_with_bf16_storage(const SelectiveScanArgs& a, void (*scan)(const SelectiveScanArgs&)) {
    const auto u = bf16_rounded(a.u, a.L, a.E, a.ld_u),
               dt = bf16_rounded(a.delta, a.L, a.E, a.ld_delta),
               B = bf16_rounded(a.B, a.L, a.N, a.ld_B), C = bf16_rounded(a.C, a.L, a.N, a.ld_C),
               z = bf16_rounded(a.z, a.L, a.E, a.ld_z);
    std::vector<float> y(static_cast<size_t>(a.L * a.E));
    SelectiveScanArgs r = a;
    r.bf16 = false;
    r.u = u.data();
    r.delta = dt.data();
    r.B = B.data();
    r.C = C.data();
    r.z = a.z ? z.data() : nullptr;
    r.y = y.data();
    r.ld_y = a.E;
    scan(r);
    for (std::int64_t t = 0; t < a.L; ++t)
        for (std::int64_t e = 0; e < a.E; ++e)
            a.y[t * a.ld_y + e] = round_bf16(y[static_cast<size_t>(t * a.E + e)]);
}

// Autocast's GEMMs on the CPU (Backend::set_bf16_gemms): the fp32 kernels on bfloat16-rounded
// copies of x and the weight, in blocks of rows so the copies stay small next to the window.
constexpr std::int64_t kBf16RowBlock = 4096;  // a multiple of the kernels' own row blocks

void linear_bf16(const LinearArgs& a, void (*linear)(const LinearArgs&)) {
    const auto w = bf16_rounded(a.weight, a.N, a.K, a.K);
    for (std::int64_t r0 = 0; r0 < a.M; r0 += kBf16RowBlock) {
        const std::int64_t m = std::min(kBf16RowBlock, a.M - r0);
        const auto x = bf16_rounded(a.x + r0 * a.ld_x, m, a.K, a.ld_x);
        LinearArgs r = a;
        r.M = m;
        r.x = x.data();
        r.weight = w.data();
        r.y = a.y + r0 * a.ld_y;
        linear(r);
    }
}

using LinearBackwardFn = void (*)(const LinearArgs&, const float*, float*, float*, float*);

// The same for the backward's two GEMMs (dy rounded too; dweight sums the blocks in order); the
// bias sums take the fp32 dy.
void linear_backward_bf16(const LinearArgs& a,
                          const float* dy,
                          float* dx,
                          float* dweight,
                          float* dbias,
                          LinearBackwardFn backward) {
    const auto w = bf16_rounded(a.weight, a.N, a.K, a.K);
    for (std::int64_t r0 = 0; r0 < a.M && (dx || dweight); r0 += kBf16RowBlock) {
        const std::int64_t m = std::min(kBf16RowBlock, a.M - r0);
        const auto x =
            dweight ? bf16_rounded(a.x + r0 * a.ld_x, m, a.K, a.ld_x) : std::vector<float>();
        const auto g = bf16_rounded(dy + r0 * a.ld_y, m, a.N, a.ld_y);
        LinearArgs r = a;
        r.M = m;
        r.x = dweight ? x.data() : nullptr;
        r.weight = w.data();
        backward(r, g.data(), dx ? dx + r0 * a.ld_x : nullptr, dweight, nullptr);
    }
    if (dbias) backward(a, dy, nullptr, nullptr, dbias);
}

void fp32_only(const SelectiveScanArgs& a) {
    DNASSM_CHECK(!a.bf16, ErrorKind::kUsage, "bfloat16 scan storage is for inference only");
}

// What both CPU backends share: ops that are exact sums in a fixed order either way, and the
// norm backward (no fast version: O(rows·D), a few percent of a training step).
class CpuBackendCommon : public Backend {
  public:
    bool concurrent_calls() const override { return true; }
    void embedding(const EmbeddingArgs& a) override { cpu::embedding(a); }
    void hyena_gates(
        const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) override {
        cpu::hyena_gates(uc, n, D, x0, w);
    }
    void hyena_gates_backward(const float* uc,
                              const float* dx0,
                              const float* dw,
                              std::int64_t n,
                              std::int64_t D,
                              float* duc) override {
        cpu::hyena_gates_backward(uc, dx0, dw, n, D, duc);
    }
    void sin_activation_backward(const float* x,
                                 const float* freq,
                                 const float* dy,
                                 std::int64_t rows,
                                 std::int64_t cols,
                                 float* dx,
                                 float* dfreq) override {
        cpu::sin_activation_backward(x, freq, dy, rows, cols, dx, dfreq);
    }
    Tensor activation(std::vector<std::int64_t> shape) override {
        return Tensor::uninitialized(std::move(shape));
    }
    bool activations_on_device() const override { return false; }
    std::unique_ptr<PendingDownload> download_async(const Tensor& src) override {
        return ready_download(src);
    }
    void download(const float* src, float* host, std::int64_t n) override {
        if (n > 0 && src != host)
            std::memmove(host, src, static_cast<std::size_t>(n) * sizeof(float));
    }
    void upload(const float* host, float* dst, std::int64_t n) override { download(host, dst, n); }
    void mul_inplace(float* x, const float* y, std::int64_t n) override {
        cpu::mul_inplace(x, y, n);
    }
    void copy_block(const CopyBlockArgs& a) override { cpu::copy_block(a); }
    void zero(float* x, std::int64_t n) override {
        if (n > 0) std::memset(x, 0, static_cast<std::size_t>(n) * sizeof(float));
    }
    void adamw_update(const AdamWArgs& a) override { cpu::adamw_update(a); }
    void embedding_backward(const EmbeddingArgs& a,
                            const float* dy,
                            std::int64_t ld,
                            float* dtable) override {
        cpu::embedding_backward(a, dy, ld, dtable);
    }
    double next_token_loss(const float* logits,
                           std::int64_t L,
                           std::int64_t V,
                           const std::int32_t* ids,
                           float* dlogits) override {
        return cpu::next_token_loss(logits, L, V, ids, dlogits);
    }
};

class CpuBackend final : public CpuBackendCommon {
  public:
    CpuBackend() {
        // Our pool does the threading; BLAS stays single-threaded so results are reproducible.
        static const bool once = [] {
            openblas_set_num_threads(1);
            return true;
        }();
        (void)once;
    }
    std::string name() const override { return "cpu"; }
    void linear(const LinearArgs& a) override {
        if (bf16_gemms())
            linear_bf16(a, cpu::linear);
        else
            cpu::linear(a);
    }
    void norm(const NormArgs& a) override { cpu::norm(a); }
    void causal_conv1d(const CausalConv1dArgs& a) override { cpu::causal_conv1d(a); }
    void selective_scan(const SelectiveScanArgs& a) override {
        if (a.bf16)
            scan_with_bf16_storage(a, cpu::selective_scan);
        else
            cpu::selective_scan(a);
    }
    void hyena_conv(const HyenaConvArgs& a) override { cpu::hyena_conv(a); }
    bool caches_hyena_filters() const override { return true; }
    void add_inplace(float* x, const float* y, std::int64_t n) override {
        cpu::add_inplace(x, y, n);
    }
    void gelu_tanh_inplace(float* x, std::int64_t n) override { cpu::gelu_tanh_inplace(x, n); }
    void sin_activation(const float* x,
                        const float* freq,
                        std::int64_t rows,
                        std::int64_t cols,
                        float* y) override {
        cpu::sin_activation(x, freq, rows, cols, y);
    }
    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        if (bf16_gemms())
            linear_backward_bf16(a, dy, dx, dweight, dbias, cpu::linear_backward);
        else
            cpu::linear_backward(a, dy, dx, dweight, dbias);
    }
    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        cpu::norm_backward(a, dy, dx, dweight, dbias);
    }
    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        cpu::causal_conv1d_backward(a, g);
    }
    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
        fp32_only(a);
        cpu::selective_scan_backward(a, g);
    }
    void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) override {
        cpu::hyena_conv_backward(a, g);
    }
    void gelu_tanh_backward(const float* x_in,
                            const float* dy,
                            float* dx,
                            std::int64_t n) override {
        cpu::gelu_tanh_backward(x_in, dy, dx, n);
    }
};

class CpuReferenceBackend final : public CpuBackendCommon {
  public:
    std::string name() const override { return "cpu-ref"; }
    void linear(const LinearArgs& a) override {
        if (bf16_gemms())
            linear_bf16(a, ref::linear);
        else
            ref::linear(a);
    }
    void norm(const NormArgs& a) override { ref::norm(a); }
    void causal_conv1d(const CausalConv1dArgs& a) override { ref::causal_conv1d(a); }
    void selective_scan(const SelectiveScanArgs& a) override {
        if (a.bf16)
            scan_with_bf16_storage(a, ref::selective_scan);
        else
            ref::selective_scan(a);
    }
    void hyena_conv(const HyenaConvArgs& a) override { ref::hyena_conv(a); }
    void add_inplace(float* x, const float* y, std::int64_t n) override {
        for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
    }
    void gelu_tanh_inplace(float* x, std::int64_t n) override { ref::gelu_tanh_inplace(x, n); }
    void sin_activation(const float* x,
                        const float* freq,
                        std::int64_t rows,
                        std::int64_t cols,
                        float* y) override {
        ref::sin_activation(x, freq, rows, cols, y);
    }
    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        if (bf16_gemms())
            linear_backward_bf16(a, dy, dx, dweight, dbias, ref::linear_backward);
        else
            ref::linear_backward(a, dy, dx, dweight, dbias);
    }
    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        ref::norm_backward(a, dy, dx, dweight, dbias);
    }
    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        ref::causal_conv1d_backward(a, g);
    }
    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
        fp32_only(a);
        ref::selective_scan_backward(a, g);
    }
    void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) override {
        ref::hyena_conv_backward(a, g);
    }
    void gelu_tanh_backward(const float* x_in,
                            const float* dy,
                            float* dx,
                            std::int64_t n) override {
        ref::gelu_tanh_backward(x_in, dy, dx, n);
    }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }
std::unique_ptr<Backend> make_cpu_reference_backend() {
    return std::make_unique<CpuReferenceBackend>();
}

}  // namespace dnassm::cpu
