// What the CUDA parity tests share: whether a usable CUDA device is there (the tests skip, saying
// why, where none is), the op-level fixture over a set of shapes (instantiated once, in
// cuda_parity_ops_test.cpp) and the random inputs and accumulated outputs several ops use.
#pragma once

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/backend.h"

#include "test_util.h"

namespace dnassm::test {

inline bool have_cuda() {
    const auto names = available_backends();
    return std::find(names.begin(), names.end(), "cuda:0") != names.end();
}

#define REQUIRE_CUDA()                                                   \
    if (!::dnassm::test::have_cuda())                                    \
    GTEST_SKIP() << "no usable CUDA device (" << ::dnassm::cuda_status() \
                 << "); CUDA parity not checked on this machine"

struct Shape {
    std::int64_t L, E, N;
};

inline void PrintTo(const Shape& s, std::ostream* os) {
    *os << "L" << s.L << "_E" << s.E << "_N" << s.N;
}

class CudaParity : public ::testing::TestWithParam<Shape> {
  protected:
    void SetUp() override {
        REQUIRE_CUDA();
        gpu = make_backend("cuda:0");
        cpu = make_backend("cpu");
    }
    std::unique_ptr<Backend> gpu, cpu;
    test::Rng rng{7};
    Shape s = GetParam();
};

// Random Hyena long-conv inputs (F = 16 basis columns) in the ranges the parity tests use.
struct HyenaCase {
    HyenaCase(test::Rng& rng, std::int64_t L, std::int64_t D)
        : x0(test::rand_vec(rng, L * D, -1, 1)),
          w(test::rand_vec(rng, L * D, -1, 1)),
          basis(test::rand_vec(rng, L * 16, -1, 1)),
          fw(test::rand_vec(rng, D * 16, -0.5, 0.5)),
          t(test::rand_vec(rng, L, 0, 1)),
          deltas(test::rand_vec(rng, D, -15, -3)),
          b(test::rand_vec(rng, D, -1, 1)) {
        args = {.L = L,
                .D = D,
                .F = 16,
                .x0 = x0.data(),
                .w = w.data(),
                .basis = basis.data(),
                .filter_w = fw.data(),
                .t = t.data(),
                .deltas = deltas.data(),
                .shift = 0.05f,
                .bias = b.data()};
    }
    std::vector<float> x0, w, basis, fw, t, deltas, b;
    HyenaConvArgs args;  // y set by each test
};

// Random starting values for an accumulated gradient output: the same for CPU and GPU.
struct GradPair {
    GradPair(test::Rng& rng, std::int64_t n) : gpu(n), cpu(n) {
        auto init = test::rand_vec(rng, n, -1, 1);
        std::copy(init.begin(), init.end(), gpu.data());
        std::copy(init.begin(), init.end(), cpu.data());
    }
    float* on(bool gpu_side) { return gpu_side ? gpu.data() : cpu.data(); }
    void expect_near(const char* what, double tol = 1e-5) {
        EXPECT_TRUE(gpu.intact()) << what << ": write outside the buffer";
        EXPECT_TRUE(test::all_finite(gpu.data(), gpu.n)) << what;
        EXPECT_LE(test::rel_l2(gpu.data(), cpu.data(), gpu.n), tol) << what;
    }
    Guarded gpu, cpu;
};

}  // namespace dnassm::test
