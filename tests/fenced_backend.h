// A test backend for the model code's side of keeping activations on a GPU (Backend::activation),
// checked on the CPU: its activations are fenced off (PROT_NONE) except while one of its own ops
// (or download/upload/zero) runs, so host code that reads or writes an activation outside the
// backend crashes the test instead of passing. Every op forwards to an inner backend.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm::test {

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
    bool activations_on_device() const override { return true; }
    void download(const float* src, float* host, std::int64_t n) override {
        const Open open(*this);
        inner_.download(src, host, n);
    }
    // The copy is made only at wait(), as late as a GPU's could finish: a caller that let the
    // source be overwritten or reused before waiting gets the wrong values.
    std::unique_ptr<PendingDownload> download_async(const Tensor& src) override {
        class Deferred final : public PendingDownload {
          public:
            Deferred(FencedBackend& b, Tensor src) : b_(b), src_(std::move(src)) {}
            Tensor wait() override {
                Tensor host = Tensor::uninitialized(src_.shape());
                b_.download(src_.f32(), host.f32(), host.numel());
                src_ = Tensor();
                return host;
            }

          private:
            FencedBackend& b_;
            Tensor src_;
        };
        ++async_downloads_;
        return std::make_unique<Deferred>(*this, src);
    }
    int async_downloads() const { return async_downloads_; }
    void upload(const float* host, float* dst, std::int64_t n) override {
        const Open open(*this);
        inner_.upload(host, dst, n);
    }
    void zero(float* x, std::int64_t n) override {
        const Open open(*this);
        inner_.zero(x, n);
    }
    void set_bf16_gemms(bool on) override {
        Backend::set_bf16_gemms(on);
        inner_.set_bf16_gemms(on);
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
    void linear_backward(
        const LinearArgs& a, const float* dy, float* dx, float* dw, float* db) override {
        run([&] { inner_.linear_backward(a, dy, dx, dw, db); });
    }
    void norm_backward(
        const NormArgs& a, const float* dy, float* dx, float* dw, float* db) override {
        run([&] { inner_.norm_backward(a, dy, dx, dw, db); });
    }
    void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) override {
        run([&] { inner_.causal_conv1d_backward(a, g); });
    }
    void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) override {
        run([&] { inner_.selective_scan_backward(a, g); });
    }
    void hyena_conv_backward(const HyenaConvArgs& a, const HyenaConvGrads& g) override {
        run([&] { inner_.hyena_conv_backward(a, g); });
    }
    void gelu_tanh_backward(const float* x, const float* dy, float* dx, std::int64_t n) override {
        run([&] { inner_.gelu_tanh_backward(x, dy, dx, n); });
    }
    void hyena_gates_backward(const float* uc,
                              const float* dx0,
                              const float* dw,
                              std::int64_t n,
                              std::int64_t D,
                              float* duc) override {
        run([&] { inner_.hyena_gates_backward(uc, dx0, dw, n, D, duc); });
    }
    void sin_activation_backward(const float* x,
                                 const float* freq,
                                 const float* dy,
                                 std::int64_t rows,
                                 std::int64_t cols,
                                 float* dx,
                                 float* dfreq) override {
        run([&] { inner_.sin_activation_backward(x, freq, dy, rows, cols, dx, dfreq); });
    }
    void embedding_backward(const EmbeddingArgs& a,
                            const float* dy,
                            std::int64_t ld,
                            float* dtable) override {
        run([&] { inner_.embedding_backward(a, dy, ld, dtable); });
    }
    double next_token_loss(const float* logits,
                           std::int64_t L,
                           std::int64_t V,
                           const std::int32_t* ids,
                           float* dlogits) override {
        double loss = 0;
        run([&] { loss = inner_.next_token_loss(logits, L, V, ids, dlogits); });
        return loss;
    }
    void adamw_update(const AdamWArgs& a) override {
        run([&] { inner_.adamw_update(a); });
    }

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

    Backend& inner_;
    std::map<void*, std::size_t> live_;
    int ops_ = 0;
    int async_downloads_ = 0;
};

}  // namespace dnassm::test
