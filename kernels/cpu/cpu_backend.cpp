// The two CPU backends: "cpu" (fast, threaded) and "cpu-ref" (naive oracle; embedding and add
// are shared since they are exact).
#include "cpu_backend.h"

#include <memory>

#include <cblas.h>

#include "backward.h"
#include "cpu_ops.h"

namespace dnassm::cpu {

namespace {

class CpuBackend final : public Backend {
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
    void linear(const LinearArgs& a) override { cpu::linear(a); }
    void norm(const NormArgs& a) override { cpu::norm(a); }
    void causal_conv1d(const CausalConv1dArgs& a) override { cpu::causal_conv1d(a); }
    void selective_scan(const SelectiveScanArgs& a) override { cpu::selective_scan(a); }
    void hyena_conv(const HyenaConvArgs& a) override { cpu::hyena_conv(a); }
    void embedding(const EmbeddingArgs& a) override { cpu::embedding(a); }
    void add_inplace(float* x, const float* y, std::int64_t n) override {
        cpu::add_inplace(x, y, n);
    }
    void gelu_tanh_inplace(float* x, std::int64_t n) override { cpu::gelu_tanh_inplace(x, n); }
    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        cpu::linear_backward(a, dy, dx, dweight, dbias);
    }
    // No fast norm backward: O(rows·D), a few percent of a training step.
    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
        ref::norm_backward(a, dy, dx, dweight, dbias);
    }
    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        cpu::causal_conv1d_backward(a, g);
    }
    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
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

class CpuReferenceBackend final : public Backend {
  public:
    std::string name() const override { return "cpu-ref"; }
    void linear(const LinearArgs& a) override { ref::linear(a); }
    void norm(const NormArgs& a) override { ref::norm(a); }
    void causal_conv1d(const CausalConv1dArgs& a) override { ref::causal_conv1d(a); }
    void selective_scan(const SelectiveScanArgs& a) override { ref::selective_scan(a); }
    void hyena_conv(const HyenaConvArgs& a) override { ref::hyena_conv(a); }
    void embedding(const EmbeddingArgs& a) override { cpu::embedding(a); }
    void add_inplace(float* x, const float* y, std::int64_t n) override {
        for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
    }
    void gelu_tanh_inplace(float* x, std::int64_t n) override { ref::gelu_tanh_inplace(x, n); }
    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) override {
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
