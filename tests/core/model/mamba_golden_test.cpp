// Parity with the official mamba_ssm code (golden files from ../shared/golden, copied to
// tests/data/golden): every layer's residual stream, final hidden states, logits, one scan call,
// the mixer alone, step() decoding and the decoding states.
#include <gtest/gtest.h>

#include "dnassm/io/npy.h"
#include "dnassm/model.h"

#include "golden_case.h"
#include "model/mamba.h"
#include "test_util.h"

namespace dnassm {
namespace {

using test::GoldenCase;
constexpr double kTol = test::kGoldenTol;

std::string case_dir(const std::string& name) { return test::data_dir() + "/golden/" + name; }

class MambaGolden : public ::testing::TestWithParam<GoldenCase> {
  protected:
    void SetUp() override {
        model_ = Model::load(case_dir(GetParam().name));
        backend_ = make_backend(GetParam().backend);
    }
    Tensor ref(const std::string& file) { return read_npy(case_dir(GetParam().name) + "/" + file); }
    const MambaModel& mamba() { return dynamic_cast<const MambaModel&>(*model_); }

    std::unique_ptr<Model> model_;
    std::unique_ptr<Backend> backend_;
};

TEST_P(MambaGolden, LayersHiddenAndLogits) {
    const Tensor ids = ref("input_ids.npy");
    const std::int64_t B = ids.dim(0), L = ids.dim(1), D = model_->info().d_model;
    const std::int64_t V = model_->info().vocab_size;
    std::vector<Tensor> layer_refs;
    for (std::int64_t k = 0; k < model_->info().n_layer; ++k)
        layer_refs.push_back(ref("layer" + std::to_string(k) + ".npy"));
    const Tensor hidden_ref = ref("hidden.npy"), logits_ref = ref("logits.npy");
    for (std::int64_t b = 0; b < B; ++b) {
        std::span<const std::int32_t> row(ids.data<std::int32_t>() + b * L, static_cast<size_t>(L));
        std::vector<Tensor> layers;
        const Tensor hidden = model_->forward(*backend_, row, nullptr, &layers);
        // Report the first diverging block, the most useful fact when parity breaks.
        for (size_t k = 0; k < layers.size(); ++k) {
            const double e = test::rel_l2(layers[k].f32(), layer_refs[k].f32() + b * L * D, L * D);
            ASSERT_LE(e, kTol) << "first diverging block: layer " << k << " (batch row " << b
                               << ")";
        }
        EXPECT_LE(test::rel_l2(hidden.f32(), hidden_ref.f32() + b * L * D, L * D), kTol)
            << "final norm diverges (all layers matched)";
        const Tensor logits = model_->logits(*backend_, hidden);
        EXPECT_LE(test::rel_l2(logits.f32(), logits_ref.f32() + b * L * V, L * V), kTol);
    }
}

TEST_P(MambaGolden, DecodingMatchesStepLogitsAndStates) {
    // mamba_ssm decode: prefill then one step() per token; our streaming with chunk 1 is step().
    const Tensor ids = ref("input_ids.npy");
    const std::int64_t L = ids.dim(1), T = 64, V = model_->info().vocab_size;
    for (const char* file : {"decode_logits_prefill1.npy", "decode_logits_prefill32.npy"}) {
        const std::int64_t prefill = std::string(file).find("32") != std::string::npos ? 32 : 1;
        const Tensor want = ref(file);
        for (std::int64_t b = 0; b < ids.dim(0); ++b) {
            const std::int32_t* row = ids.data<std::int32_t>() + b * L;
            auto state = model_->new_state();
            Tensor got({T, V});
            std::int64_t t = 0;
            while (t < T) {
                const std::int64_t n = t == 0 ? prefill : 1;
                const Tensor h =
                    model_->forward(*backend_, {row + t, static_cast<size_t>(n)}, state.get());
                const Tensor lg = model_->logits(*backend_, h);
                std::copy(lg.f32(), lg.f32() + n * V, got.f32() + t * V);
                t += n;
            }
            EXPECT_LE(test::rel_l2(got.f32(), want.f32() + b * T * V, T * V), kTol)
                << file << " row " << b;
            if (prefill == 1) {
                const auto& st = dynamic_cast<const MambaState&>(*state);
                for (size_t k = 0; k < st.layers.size(); ++k) {
                    const Tensor conv = ref("decode_conv_state_layer" + std::to_string(k) + ".npy");
                    const Tensor ssm = ref("decode_ssm_state_layer" + std::to_string(k) + ".npy");
                    const auto nc = st.layers[k].conv.numel(), ns = st.layers[k].ssm.numel();
                    EXPECT_LE(test::rel_l2(st.layers[k].conv.f32(), conv.f32() + b * nc, nc), kTol)
                        << "conv_state layer " << k;
                    EXPECT_LE(test::rel_l2(st.layers[k].ssm.f32(), ssm.f32() + b * ns, ns), kTol)
                        << "ssm_state layer " << k;
                }
            }
        }
    }
}

// Only the rmsnorm case records one scan call, the mixer alone and step().
class MambaGoldenMixer : public MambaGolden {};

TEST_P(MambaGoldenMixer, ScanCallMixerAndStep) {
    // One selective_scan call with the exact arguments mamba_ssm passed.
    const Tensor u = test::to_time_major(ref("scan_u.npy"), 0);
    const Tensor delta = test::to_time_major(ref("scan_delta.npy"), 0);
    const Tensor z = test::to_time_major(ref("scan_z.npy"), 0);
    const Tensor Bm = test::to_time_major(ref("scan_B.npy"), 0);
    const Tensor Cm = test::to_time_major(ref("scan_C.npy"), 0);
    const Tensor A = ref("scan_A.npy"), Dv = ref("scan_D.npy"), bias = ref("scan_delta_bias.npy");
    const Tensor want = test::to_time_major(ref("scan_out.npy"), 0);
    const std::int64_t L = u.dim(0), E = u.dim(1), N = A.dim(1);
    Tensor y({L, E});
    backend_->selective_scan({.L = L,
                              .E = E,
                              .N = N,
                              .u = u.f32(),
                              .ld_u = E,
                              .delta = delta.f32(),
                              .ld_delta = E,
                              .A = A.f32(),
                              .B = Bm.f32(),
                              .ld_B = N,
                              .C = Cm.f32(),
                              .ld_C = N,
                              .D = Dv.f32(),
                              .delta_bias = bias.f32(),
                              .delta_softplus = true,
                              .z = z.f32(),
                              .ld_z = E,
                              .y = y.f32(),
                              .ld_y = E});
    EXPECT_LE(test::rel_l2(y.f32(), want.f32(), L * E), kTol) << "selective_scan";

    // The mixer alone on random input.
    const Tensor in = ref("mixer_in.npy"), out_ref = ref("mixer_out.npy");
    const auto& cfg = mamba().config();
    const std::int64_t Lm = in.dim(1), D = cfg.d_model;
    Tensor out({Lm, D});
    mamba_mixer_forward(*backend_, cfg, mamba().mixer(0), in.f32(), Lm, nullptr, out.f32());
    EXPECT_LE(test::rel_l2(out.f32(), out_ref.f32(), Lm * D), kTol) << "mixer forward";

    // step() token by token from zero states = chunks of one token.
    const Tensor step_ref = ref("mixer_step_out.npy");
    MambaLayerState st{Tensor({cfg.d_inner(), cfg.d_conv}), Tensor({cfg.d_inner(), cfg.d_state})};
    const std::int64_t T = step_ref.dim(1);
    Tensor step_out({T, D});
    for (std::int64_t t = 0; t < T; ++t)
        mamba_mixer_forward(*backend_, cfg, mamba().mixer(0), in.f32() + t * D, 1, &st,
                            step_out.f32() + t * D);
    EXPECT_LE(test::rel_l2(step_out.f32(), step_ref.f32(), T * D), kTol) << "step outputs";
    const Tensor conv_ref = ref("mixer_step_conv_state.npy"),
                 ssm_ref = ref("mixer_step_ssm_state.npy");
    EXPECT_LE(test::rel_l2(st.conv.f32(), conv_ref.f32(), conv_ref.numel()), kTol) << "conv_state";
    EXPECT_LE(test::rel_l2(st.ssm.f32(), ssm_ref.f32(), ssm_ref.numel()), kTol) << "ssm_state";
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         MambaGoldenMixer,
                         ::testing::Values(GoldenCase{"mamba1_rmsnorm_L2048_B2", "cpu"},
                                           GoldenCase{"mamba1_rmsnorm_L2048_B2", "cpu-ref"}),
                         [](const auto& param_info) {
                             return param_info.param.backend == "cpu" ? std::string("cpu")
                                                                      : std::string("cpu_ref");
                         });

std::vector<GoldenCase> cases() {
    std::vector<GoldenCase> c;
    for (const char* name : {"mamba1_rmsnorm_L2048_B2", "mamba1_layernorm_L2048_B2"})
        for (const char* be : {"cpu", "cpu-ref"}) c.push_back({name, be});
    return c;
}

INSTANTIATE_TEST_SUITE_P(Golden,
                         MambaGolden,
                         ::testing::ValuesIn(cases()),
                         [](const auto& param_info) {
                             std::string n = param_info.param.name + "_" + param_info.param.backend;
                             for (auto& ch : n)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

}  // namespace
}  // namespace dnassm
