// The model code's side of keeping activations on a GPU (Backend::activation), checked on the CPU:
// a backend whose activations are fenced off (PROT_NONE) except while one of its own ops runs.
// If a forward read or wrote an activation on the host, outside the backend, the test would crash
// instead of passing; the outputs must equal the plain CPU backend's bit for bit.
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"

#include "test_util.h"

namespace dnassm {
namespace {

class FencedBackend final : public Backend {
  public:
    explicit FencedBackend(Backend& inner) : inner_(inner) {}
    std::string name() const override { return "fenced " + inner_.name(); }

    Tensor activation(std::vector<std::int64_t> shape) override {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        const std::size_t bytes =
            (static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(float) + page - 1) /
            page * page;
        void* p = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        live_[p] = bytes;
        std::shared_ptr<const void> owner(p, [this, bytes](const void* q) {
            live_.erase(const_cast<void*>(q));
            munmap(const_cast<void*>(q), bytes);
        });
        return Tensor::borrow(p, std::move(shape), DType::kF32, std::move(owner), Device::kCuda);
    }
    void download(const float* src, float* host, std::int64_t n) override {
        const Open open(*this);
        inner_.download(src, host, n);
    }
    void upload(const float* host, float* dst, std::int64_t n) override {
        const Open open(*this);
        inner_.upload(host, dst, n);
    }
    void zero(float* x, std::int64_t n) override {
        const Open open(*this);
        inner_.zero(x, n);
    }
    int ops() const { return ops_; }

    void linear(const LinearArgs& a) override {
        run([&] { inner_.linear(a); });
    }
    void norm(const NormArgs& a) override {
        run([&] { inner_.norm(a); });
    }
    void causal_conv1d(const CausalConv1dArgs& a) override {
        run([&] { inner_.causal_conv1d(a); });
    }
    void selective_scan(const SelectiveScanArgs& a) override {
        run([&] { inner_.selective_scan(a); });
    }
    void embedding(const EmbeddingArgs& a) override {
        run([&] { inner_.embedding(a); });
    }
    void hyena_conv(const HyenaConvArgs& a) override {
        run([&] { inner_.hyena_conv(a); });
    }
    void add_inplace(float* x, const float* y, std::int64_t n) override {
        run([&] { inner_.add_inplace(x, y, n); });
    }
    void mul_inplace(float* x, const float* y, std::int64_t n) override {
        run([&] { inner_.mul_inplace(x, y, n); });
    }
    void copy_block(const CopyBlockArgs& a) override {
        run([&] { inner_.copy_block(a); });
    }
    void gelu_tanh_inplace(float* x, std::int64_t n) override {
        run([&] { inner_.gelu_tanh_inplace(x, n); });
    }
    void sin_activation(const float* x,
                        const float* freq,
                        std::int64_t rows,
                        std::int64_t cols,
                        float* y) override {
        run([&] { inner_.sin_activation(x, freq, rows, cols, y); });
    }
    void hyena_gates(
        const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) override {
        run([&] { inner_.hyena_gates(uc, n, D, x0, w); });
    }
    // Training ops: inference never calls them.
    void linear_backward(const LinearArgs&, const float*, float*, float*, float*) override {
        unused();
    }
    void norm_backward(const NormArgs&, const float*, float*, float*, float*) override { unused(); }
    void causal_conv1d_backward(const CausalConv1dArgs&, const CausalConv1dGrads&) override {
        unused();
    }
    void selective_scan_backward(const SelectiveScanArgs&, const SelectiveScanGrads&) override {
        unused();
    }
    void hyena_conv_backward(const HyenaConvArgs&, const HyenaConvGrads&) override { unused(); }
    void gelu_tanh_backward(const float*, const float*, float*, std::int64_t) override { unused(); }
    void embedding_backward(const EmbeddingArgs&, const float*, std::int64_t, float*) override {
        unused();
    }
    double next_token_loss(
        const float*, std::int64_t, std::int64_t, const std::int32_t*, float*) override {
        unused();
        return 0;
    }
    void adamw_update(const AdamWArgs&) override { unused(); }

  private:
    // Every live activation readable and writable for the scope of one op.
    class Open {
      public:
        explicit Open(FencedBackend& b) : b_(b) { b_.protect(PROT_READ | PROT_WRITE); }
        ~Open() { b_.protect(PROT_NONE); }
        Open(const Open&) = delete;
        Open& operator=(const Open&) = delete;

      private:
        FencedBackend& b_;
    };
    void protect(int prot) {
        for (const auto& [p, bytes] : live_) ASSERT_EQ(0, mprotect(p, bytes, prot));
    }
    template <typename Op>
    void run(Op op) {
        const Open open(*this);
        ++ops_;
        op();
    }
    static void unused() { FAIL() << "a training op in an inference forward"; }

    Backend& inner_;
    std::map<void*, std::size_t> live_;
    int ops_ = 0;
};

std::vector<std::int32_t> golden_ids(const std::string& dir, std::int64_t max_len) {
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::int64_t L = std::min<std::int64_t>(all.numel(), max_len);
    return {all.data<std::int32_t>(), all.data<std::int32_t>() + L};
}

// forward() on the fenced backend and on the CPU: equal hidden states and per-layer outputs.
void expect_same_forward(const Model& m, const std::vector<std::int32_t>& ids, std::int64_t chunk) {
    FencedBackend fenced(test::backend("cpu"));
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
