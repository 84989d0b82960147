// Finite-difference gradient checks of the backward passes (MODELS.md §4.3): every input of
// every op, on small random shapes, loss = Σ outputs ⊙ fixed random weights.
#include <functional>

#include <gtest/gtest.h>

#include "dnassm/thread_pool.h"

#include "cpu/backward.h"
#include "cpu/cpu_ops.h"
#include "scan_case.h"
#include "test_util.h"

namespace dnassm {
namespace {

std::vector<float> rnd(test::Rng& r, std::int64_t n, float lo, float hi) {
    std::vector<float> v(static_cast<size_t>(n));
    r.fill(v.data(), n, lo, hi);
    return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

// A backward op's result from the reference version, and from the fast one at 1 and 2 threads.
template <class Out>
struct RefAndFast {
    Out ref, one, two;
};
template <class Run>
auto reference_and_fast(Run run) {
    using Out = decltype(run(false));
    Out ref = run(false);
    set_num_threads(1);
    Out one = run(true);
    set_num_threads(2);
    Out two = run(true);
    set_num_threads(1);
    return RefAndFast<Out>{std::move(ref), std::move(one), std::move(two)};
}

double rel(const std::vector<float>& p, const std::vector<float>& q) {
    return test::rel_l2(p.data(), q.data(), static_cast<std::int64_t>(p.size()));
}

// Central differences of loss() w.r.t. every element of p, compared with the analytic gradient.
void check(const std::string& name,
           std::vector<float>& p,
           const std::vector<float>& analytic,
           const std::function<double()>& loss) {
    ASSERT_EQ(p.size(), analytic.size());
    for (size_t i = 0; i < p.size(); ++i) {
        const float keep = p[i];
        const float h = 1e-2f * std::max(1.0f, std::fabs(keep));
        p[i] = keep + h;
        const double up = loss();
        p[i] = keep - h;
        const double down = loss();
        p[i] = keep;
        const double fd = (up - down) / (2.0 * static_cast<double>(h));
        EXPECT_NEAR(analytic[i], fd, 2e-3 + 1e-2 * std::fabs(fd)) << name << "[" << i << "]";
    }
}

TEST(Grad, SelectiveScanEveryInput) {
    for (bool gate : {true, false}) {
        test::Rng r(gate ? 7 : 8);
        const std::int64_t L = 6, E = 3, N = 4;
        auto u = rnd(r, L * E, -1, 1), dt = rnd(r, L * E, -2, 1), z = rnd(r, L * E, -2, 2);
        auto A = rnd(r, E * N, -2, -0.3f), B = rnd(r, L * N, -1, 1), C = rnd(r, L * N, -1, 1);
        auto D = rnd(r, E, 0.5, 1.5), bias = rnd(r, E, -1, 0.5), s0 = rnd(r, E * N, -0.5, 0.5);
        const auto wy = rnd(r, L * E, -1, 1), ws = rnd(r, E * N, -1, 1);
        std::vector<float> y(static_cast<size_t>(L * E)), st;
        auto args = [&] {
            return SelectiveScanArgs{.L = L,
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
                                     .z = gate ? z.data() : nullptr,
                                     .ld_z = E,
                                     .state = nullptr,
                                     .y = y.data(),
                                     .ld_y = E};
        };
        auto loss = [&] {
            st = s0;
            SelectiveScanArgs a = args();
            a.state = st.data();
            cpu::ref::selective_scan(a);
            return dot(y, wy) + dot(st, ws);
        };
        std::vector<float> du(u.size()), ddt(dt.size()), dz(z.size()), dA(A.size()), dB(B.size()),
            dC(C.size()), dD(D.size()), dbias(bias.size()), ds0(s0.size());
        SelectiveScanArgs a = args();
        a.state = s0.data();
        cpu::ref::selective_scan_backward(a, {.dy = wy.data(),
                                              .dstate_final = ws.data(),
                                              .du = du.data(),
                                              .ddelta = ddt.data(),
                                              .dz = dz.data(),
                                              .dA = dA.data(),
                                              .dB = dB.data(),
                                              .dC = dC.data(),
                                              .dD = dD.data(),
                                              .ddelta_bias = dbias.data(),
                                              .dstate_init = ds0.data()});
        check("u", u, du, loss);
        check("delta", dt, ddt, loss);
        if (gate) check("z", z, dz, loss);
        check("A", A, dA, loss);
        check("B", B, dB, loss);
        check("C", C, dC, loss);
        check("D", D, dD, loss);
        check("delta_bias", bias, dbias, loss);
        check("state_init", s0, ds0, loss);
    }
}

TEST(Grad, FastScanBackwardMatchesReferenceForAnyThreadCount) {
    test::Rng r(23);
    const std::int64_t L = 301, E = 37, N = 16;  // odd sizes: a partial channel group
    test::ScanCase in(r, L, E, N);
    const auto dy = rnd(r, L * E, -1, 1), dsf = rnd(r, E * N, -1, 1);
    SelectiveScanArgs a = in.args;
    a.state = in.s0.data();
    auto run = [&](bool fast) {
        test::ScanGrads o(L, E, N);
        fast ? cpu::selective_scan_backward(a, o.view(dy.data(), dsf.data()))
             : cpu::ref::selective_scan_backward(a, o.view(dy.data(), dsf.data()));
        return o;
    };
    const auto [ref, one, two] = reference_and_fast(run);
    test::expect_scan_grads_near(one, ref, 1e-5);
    EXPECT_EQ(one.dB, two.dB);
    EXPECT_EQ(one.dC, two.dC);
    EXPECT_EQ(one.du, two.du);
}

TEST(Grad, CausalConv1dWithSiluAndState) {
    test::Rng r(11);
    const std::int64_t L = 5, E = 3, W = 4;
    auto x = rnd(r, L * E, -1, 1), w = rnd(r, E * W, -1, 1), b = rnd(r, E, -1, 1),
         s0 = rnd(r, E * W, -1, 1);
    const auto wy = rnd(r, L * E, -1, 1);
    std::vector<float> y(static_cast<size_t>(L * E)), st;
    auto args = [&] {
        return CausalConv1dArgs{.L = L,
                                .E = E,
                                .W = W,
                                .x = x.data(),
                                .ld_x = E,
                                .weight = w.data(),
                                .bias = b.data(),
                                .state = nullptr,
                                .silu = true,
                                .y = y.data(),
                                .ld_y = E};
    };
    auto loss = [&] {
        st = s0;
        CausalConv1dArgs a = args();
        a.state = st.data();
        cpu::ref::causal_conv1d(a);
        return dot(y, wy);
    };
    std::vector<float> dx(x.size()), dw(w.size()), db(b.size()), ds(s0.size());
    CausalConv1dArgs a = args();
    a.state = s0.data();
    cpu::ref::causal_conv1d_backward(a, {.dy = wy.data(),
                                         .dx = dx.data(),
                                         .dweight = dw.data(),
                                         .dbias = db.data(),
                                         .dstate_init = ds.data()});
    check("x", x, dx, loss);
    check("weight", w, dw, loss);
    check("bias", b, db, loss);
    check("state_init", s0, ds, loss);
}

TEST(Grad, FastCausalConvBackwardMatchesReferenceForAnyThreadCount) {
    test::Rng r(29);
    const std::int64_t L = 37, E = 70, W = 4;  // E spans two channel ranges of the pool
    auto x = rnd(r, L * E, -1, 1), w = rnd(r, E * W, -1, 1), b = rnd(r, E, -1, 1),
         s0 = rnd(r, E * W, -1, 1);
    const auto dy = rnd(r, L * E, -1, 1);
    const CausalConv1dArgs a{.L = L,
                             .E = E,
                             .W = W,
                             .x = x.data(),
                             .ld_x = E,
                             .weight = w.data(),
                             .bias = b.data(),
                             .state = s0.data(),
                             .silu = true,
                             .y = nullptr,
                             .ld_y = E};
    struct Out {
        std::vector<float> dx, dw, db, ds;
    };
    auto run = [&](bool fast) {
        Out o{std::vector<float>(x.size()), std::vector<float>(w.size()),
              std::vector<float>(b.size()), std::vector<float>(s0.size())};
        const CausalConv1dGrads g{.dy = dy.data(),
                                  .dx = o.dx.data(),
                                  .dweight = o.dw.data(),
                                  .dbias = o.db.data(),
                                  .dstate_init = o.ds.data()};
        fast ? cpu::causal_conv1d_backward(a, g) : cpu::ref::causal_conv1d_backward(a, g);
        return o;
    };
    const auto [ref, one, two] = reference_and_fast(run);
    EXPECT_LE(rel(one.dx, ref.dx), 1e-6);
    EXPECT_LE(rel(one.dw, ref.dw), 1e-6);
    EXPECT_LE(rel(one.db, ref.db), 1e-6);
    EXPECT_LE(rel(one.ds, ref.ds), 1e-6);
    EXPECT_EQ(one.dw, two.dw);
    EXPECT_EQ(one.dx, two.dx);
}

TEST(Grad, LinearAndNorms) {
    test::Rng r(13);
    const std::int64_t M = 4, K = 5, N = 3;
    auto x = rnd(r, M * K, -1, 1), w = rnd(r, N * K, -1, 1), b = rnd(r, N, -1, 1);
    const auto wy = rnd(r, M * N, -1, 1);
    std::vector<float> y(static_cast<size_t>(M * N));
    const LinearArgs la{.M = M,
                        .K = K,
                        .N = N,
                        .x = x.data(),
                        .ld_x = K,
                        .weight = w.data(),
                        .bias = b.data(),
                        .y = y.data(),
                        .ld_y = N};
    auto lin_loss = [&] {
        cpu::ref::linear(la);
        return dot(y, wy);
    };
    std::vector<float> dx(x.size()), dw(w.size()), db(b.size());
    cpu::ref::linear_backward(la, wy.data(), dx.data(), dw.data(), db.data());
    check("linear.x", x, dx, lin_loss);
    check("linear.weight", w, dw, lin_loss);
    check("linear.bias", b, db, lin_loss);

    for (NormKind kind : {NormKind::kRms, NormKind::kLayer}) {
        const std::int64_t R = 3, D = 6;
        auto nx = rnd(r, R * D, -2, 2), nw = rnd(r, D, 0.5, 1.5), nb = rnd(r, D, -1, 1);
        const auto ny_w = rnd(r, R * D, -1, 1);
        std::vector<float> ny(static_cast<size_t>(R * D));
        const NormArgs na{.kind = kind,
                          .rows = R,
                          .D = D,
                          .x = nx.data(),
                          .weight = nw.data(),
                          .bias = kind == NormKind::kLayer ? nb.data() : nullptr,
                          .y = ny.data()};
        auto norm_loss = [&] {
            cpu::ref::norm(na);
            return dot(ny, ny_w);
        };
        std::vector<float> ndx(nx.size()), ndw(nw.size()), ndb(nb.size());
        cpu::ref::norm_backward(na, ny_w.data(), ndx.data(), ndw.data(),
                                kind == NormKind::kLayer ? ndb.data() : nullptr);
        const std::string n = kind == NormKind::kRms ? "rmsnorm" : "layernorm";
        check(n + ".x", nx, ndx, norm_loss);
        check(n + ".weight", nw, ndw, norm_loss);
        if (kind == NormKind::kLayer) check(n + ".bias", nb, ndb, norm_loss);
    }
}

TEST(Grad, FastNormBackwardMatchesReferenceForAnyThreadCount) {
    test::Rng r(31);
    // 150 rows span three of the fast version's row blocks; D = 21 has a lane-sum tail.
    const std::int64_t R = 150, D = 21;
    for (NormKind kind : {NormKind::kRms, NormKind::kLayer}) {
        auto x = rnd(r, R * D, -2, 2), w = rnd(r, D, 0.5, 1.5), b = rnd(r, D, -1, 1);
        const auto dy = rnd(r, R * D, -1, 1);
        const NormArgs a{.kind = kind,
                         .rows = R,
                         .D = D,
                         .x = x.data(),
                         .weight = w.data(),
                         .bias = kind == NormKind::kLayer ? b.data() : nullptr,
                         .y = nullptr};
        struct Out {
            std::vector<float> dx, dw, db;
        };
        auto run = [&](bool fast) {
            // Non-zero starting values: every gradient is accumulated into (+=).
            Out o{std::vector<float>(x.size(), 0.25f), std::vector<float>(w.size(), -0.5f),
                  std::vector<float>(b.size(), 0.75f)};
            float* db = kind == NormKind::kLayer ? o.db.data() : nullptr;
            fast ? cpu::norm_backward(a, dy.data(), o.dx.data(), o.dw.data(), db)
                 : cpu::ref::norm_backward(a, dy.data(), o.dx.data(), o.dw.data(), db);
            return o;
        };
        const auto [ref, one, two] = reference_and_fast(run);
        EXPECT_LE(rel(one.dx, ref.dx), 1e-6);
        EXPECT_LE(rel(one.dw, ref.dw), 1e-6);
        EXPECT_LE(rel(one.db, ref.db), 1e-6);
        EXPECT_EQ(one.dx, two.dx);
        EXPECT_EQ(one.dw, two.dw);
        EXPECT_EQ(one.db, two.db);
        // Without dx (a frozen input) the parameter gradients are the same.
        std::vector<float> dw(w.size(), -0.5f);
        cpu::norm_backward(a, dy.data(), nullptr, dw.data(), nullptr);
        EXPECT_EQ(dw, one.dw);
    }
}

TEST(Grad, HyenaConvAndGelu) {
    test::Rng r(17);
    const std::int64_t L = 7, D = 3, F = 4;
    auto x0 = rnd(r, L * D, -1, 1), w = rnd(r, L * D, -1, 1), basis = rnd(r, L * F, -1, 1);
    auto fw = rnd(r, D * F, -1, 1), t = rnd(r, L, 0, 1), deltas = rnd(r, D, -5, -1),
         b = rnd(r, D, -1, 1);
    const auto wy = rnd(r, L * D, -1, 1);
    std::vector<float> y(static_cast<size_t>(L * D));
    const HyenaConvArgs a{.L = L,
                          .D = D,
                          .F = F,
                          .x0 = x0.data(),
                          .w = w.data(),
                          .basis = basis.data(),
                          .filter_w = fw.data(),
                          .t = t.data(),
                          .deltas = deltas.data(),
                          .shift = 0.05f,
                          .bias = b.data(),
                          .y = y.data()};
    auto loss = [&] {
        cpu::ref::hyena_conv(a);
        return dot(y, wy);
    };
    std::vector<float> dx0(x0.size()), dw(w.size()), dbasis(basis.size()), dfw(fw.size()),
        db(b.size());
    cpu::ref::hyena_conv_backward(a, {.dy = wy.data(),
                                      .dx0 = dx0.data(),
                                      .dw = dw.data(),
                                      .dbasis = dbasis.data(),
                                      .dfilter_w = dfw.data(),
                                      .dbias = db.data()});
    check("x0", x0, dx0, loss);
    check("w", w, dw, loss);
    check("basis", basis, dbasis, loss);
    check("filter_w", fw, dfw, loss);
    check("bias", b, db, loss);

    auto gx = rnd(r, 20, -4, 4);
    const auto gw = rnd(r, 20, -1, 1);
    std::vector<float> gy;
    auto gelu_loss = [&] {
        gy = gx;
        cpu::ref::gelu_tanh_inplace(gy.data(), static_cast<std::int64_t>(gy.size()));
        return dot(gy, gw);
    };
    std::vector<float> gdx(gx.size());
    cpu::ref::gelu_tanh_backward(gx.data(), gw.data(), gdx.data(),
                                 static_cast<std::int64_t>(gx.size()));
    check("gelu.x", gx, gdx, gelu_loss);
}

TEST(Grad, FastHyenaConvBackwardMatchesReferenceForAnyThreadCount) {
    test::Rng r(31);
    const std::int64_t L = 45, D = 37, F = 6;  // D spans three channel groups; odd L
    auto x0 = rnd(r, L * D, -1, 1), w = rnd(r, L * D, -1, 1), basis = rnd(r, L * F, -1, 1);
    auto fw = rnd(r, D * F, -1, 1), t = rnd(r, L, 0, 1), deltas = rnd(r, D, -5, -1),
         b = rnd(r, D, -1, 1);
    const auto dy = rnd(r, L * D, -1, 1);
    for (bool modulate : {true, false}) {
        const HyenaConvArgs a{.L = L,
                              .D = D,
                              .F = F,
                              .x0 = x0.data(),
                              .w = w.data(),
                              .basis = basis.data(),
                              .filter_w = fw.data(),
                              .t = t.data(),
                              .deltas = modulate ? deltas.data() : nullptr,
                              .shift = 0.05f,
                              .bias = b.data(),
                              .y = nullptr};
        struct Out {
            std::vector<float> dx0, dw, dbasis, dfw, db;
        };
        auto run = [&](bool fast) {
            Out o{std::vector<float>(x0.size(), 0.5f), std::vector<float>(w.size(), 0.5f),
                  std::vector<float>(basis.size(), 0.5f), std::vector<float>(fw.size(), 0.5f),
                  std::vector<float>(b.size(), 0.5f)};  // non-zero: outputs accumulate
            const HyenaConvGrads g{.dy = dy.data(),
                                   .dx0 = o.dx0.data(),
                                   .dw = o.dw.data(),
                                   .dbasis = o.dbasis.data(),
                                   .dfilter_w = o.dfw.data(),
                                   .dbias = o.db.data()};
            fast ? cpu::hyena_conv_backward(a, g) : cpu::ref::hyena_conv_backward(a, g);
            return o;
        };
        const auto [ref, one, two] = reference_and_fast(run);
        EXPECT_LE(rel(one.dx0, ref.dx0), 1e-5);
        EXPECT_LE(rel(one.dw, ref.dw), 1e-5);
        EXPECT_LE(rel(one.dbasis, ref.dbasis), 1e-5);
        EXPECT_LE(rel(one.dfw, ref.dfw), 1e-5);
        EXPECT_LE(rel(one.db, ref.db), 1e-5);
        EXPECT_EQ(one.dbasis, two.dbasis);
        EXPECT_EQ(one.dw, two.dw);
    }
}

TEST(Grad, FastGeluBackwardMatchesReference) {
    test::Rng r(37);
    const std::int64_t n = 1000 + 5;  // a tail shorter than one vector
    const auto x = rnd(r, n, -6, 6), dy = rnd(r, n, -1, 1);
    std::vector<float> ref(static_cast<size_t>(n), 0.25f), fast = ref;
    cpu::ref::gelu_tanh_backward(x.data(), dy.data(), ref.data(), n);
    cpu::gelu_tanh_backward(x.data(), dy.data(), fast.data(), n);
    for (std::int64_t i = 0; i < n; ++i)
        EXPECT_NEAR(fast[static_cast<size_t>(i)], ref[static_cast<size_t>(i)], 2e-6) << i;
}

}  // namespace
}  // namespace dnassm

namespace dnassm {
namespace {

TEST(Grad, HyenaGatesAndSinActivation) {
    test::Rng r(41);
    const std::int64_t n = 5, D = 3;
    auto uc = rnd(r, n * 3 * D, -1, 1);
    const auto wx0 = rnd(r, n * D, -1, 1), ww = rnd(r, n * D, -1, 1);
    std::vector<float> x0(static_cast<size_t>(n * D)), w(x0.size());
    auto gates_loss = [&] {
        cpu::hyena_gates(uc.data(), n, D, x0.data(), w.data());
        return dot(x0, wx0) + dot(w, ww);
    };
    std::vector<float> duc(uc.size());
    cpu::hyena_gates_backward(uc.data(), wx0.data(), ww.data(), n, D, duc.data());
    check("gates.uc", uc, duc, gates_loss);

    const std::int64_t rows = 6, cols = 4;
    auto x = rnd(r, rows * cols, -2, 2), freq = rnd(r, cols, 0.5f, 3);
    const auto wy = rnd(r, rows * cols, -1, 1);
    std::vector<float> y(x.size());
    auto sin_loss = [&] {
        cpu::sin_activation(x.data(), freq.data(), rows, cols, y.data());
        return dot(y, wy);
    };
    std::vector<float> dx(x.size()), dfreq(freq.size());
    cpu::sin_activation_backward(x.data(), freq.data(), wy.data(), rows, cols, dx.data(),
                                 dfreq.data());
    check("sin.x", x, dx, sin_loss);
    check("sin.freq", freq, dfreq, sin_loss);
}

TEST(Grad, SinBackwardIsTheSameForAnyThreadCount) {
    test::Rng r(43);
    const std::int64_t rows = 3000, cols = 7;  // three row parts, the last one short
    const auto x = rnd(r, rows * cols, -2, 2), freq = rnd(r, cols, 0.5f, 3),
               dy = rnd(r, rows * cols, -1, 1);
    auto run = [&](int threads) {
        set_num_threads(threads);
        std::vector<float> dx(x.size(), 0.25f), dfreq(freq.size(), 0.5f);  // accumulated into
        cpu::sin_activation_backward(x.data(), freq.data(), dy.data(), rows, cols, dx.data(),
                                     dfreq.data());
        set_num_threads(1);
        dx.insert(dx.end(), dfreq.begin(), dfreq.end());
        return dx;
    };
    EXPECT_EQ(run(1), run(2));
}

}  // namespace
}  // namespace dnassm
