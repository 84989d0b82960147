// A stream state saved part-way through a sequence and resumed (in memory or from a file)
// continues the run exactly where it stopped; states only load into the model that saved them.
#include "dnassm/stream_state.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/safetensors.h"

#include "test_util.h"

namespace dnassm {
namespace {

namespace fs = std::filesystem;

std::string golden(const std::string& name) { return test::data_dir() + "/golden/" + name; }

class StreamState : public ::testing::Test {
  protected:
    void SetUp() override {
        model = Model::load(golden("mamba1_rmsnorm_L2048_B2"));
        ids = test::golden_ids(golden("mamba1_rmsnorm_L2048_B2"), 2048);
        D = model->info().d_model;
        dir = fs::temp_directory_path() / ("dnassm_stream_state_" + std::to_string(::getpid()));
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::span<const std::int32_t> part(std::int64_t beg, std::int64_t end) const {
        return std::span<const std::int32_t>(ids).subspan(static_cast<size_t>(beg),
                                                          static_cast<size_t>(end - beg));
    }
    /// The state after the first `at` tokens, saved by a run over the first `end`.
    std::unique_ptr<ModelState> saved_at(std::int64_t at, std::int64_t end) {
        std::unique_ptr<ModelState> saved;
        int calls = 0;
        RunOptions o{.chunk = 300};
        o.save_at = at;
        o.on_saved = [&](std::unique_ptr<ModelState> s) {
            saved = std::move(s);
            ++calls;
        };
        (void)test::run_hidden(*model, *be, part(0, end), o);
        EXPECT_EQ(calls, 1);
        return saved;
    }

    std::unique_ptr<Model> model;
    std::unique_ptr<Backend> be = make_backend("cpu");
    std::vector<std::int32_t> ids;
    std::int64_t D = 0;
    fs::path dir;
};

TEST_F(StreamState, ResumedRunContinuesOnePass) {
    const auto L = static_cast<std::int64_t>(ids.size());
    const std::vector<float> whole = test::run_hidden(*model, *be, ids, {.chunk = 300});
    for (std::int64_t k :
         {std::int64_t{1}, std::int64_t{299}, std::int64_t{300}, std::int64_t{1001}, L - 1}) {
        const auto state = saved_at(k, L);
        RunOptions o{.chunk = 300};
        o.resume = state.get();
        const std::vector<float> rest = test::run_hidden(*model, *be, part(k, L), o);
        ASSERT_EQ(static_cast<std::int64_t>(rest.size()), (L - k) * D);
        EXPECT_LE(test::rel_l2(rest.data(), whole.data() + k * D, (L - k) * D), 1e-6) << k;
        // Without the state the continuation is a different computation.
        const std::vector<float> fresh = test::run_hidden(*model, *be, part(k, L), {.chunk = 300});
        EXPECT_GT(test::rel_l2(fresh.data(), whole.data() + k * D, D), 1e-3) << k;
    }
}

TEST_F(StreamState, SavingLeavesTheRunUnchangedAndTheResumedStateUntouched) {
    const std::vector<float> whole = test::run_hidden(*model, *be, ids, {.chunk = 300});
    const auto state = saved_at(700, 2048);
    RunOptions o{.chunk = 300};
    o.save_at = 700;
    o.on_saved = [](std::unique_ptr<ModelState>) {};
    EXPECT_LE(test::rel_l2(test::run_hidden(*model, *be, ids, o).data(), whole.data(), 2048 * D),
              1e-6);
    const std::vector<float> before(state->tensors()[1].second.f32(),
                                    state->tensors()[1].second.f32() + 16);
    RunOptions r{.chunk = 300};
    r.resume = state.get();
    (void)test::run_hidden(*model, *be, part(700, 2048), r);
    (void)test::run_hidden(*model, *be, part(700, 2048), r);  // resumable twice
    EXPECT_EQ(
        std::vector<float>(state->tensors()[1].second.f32(), state->tensors()[1].second.f32() + 16),
        before);
}

TEST_F(StreamState, StateAtTheStartIsFreshAndAtTheEndIsSaved) {
    const auto first = saved_at(0, 100);
    for (const auto& [name, t] : first->tensors())
        for (float v : t.span_f32()) ASSERT_EQ(v, 0.0f) << name;
    const auto last = saved_at(100, 100);
    double sum = 0;
    for (const auto& [name, t] : last->tensors())
        for (float v : t.span_f32()) sum += std::abs(v);
    EXPECT_GT(sum, 0.0);
}

TEST_F(StreamState, FileRoundTripResumesIdentically) {
    const auto state = saved_at(1000, 2048);
    const std::string path = (dir / "a.state").string();
    save_stream_state(path, *model, *state, {"chr1", 1000});
    const SavedStreamState loaded = load_stream_state(path, *model);
    EXPECT_EQ(loaded.where.contig, "chr1");
    EXPECT_EQ(loaded.where.position, 1000);
    EXPECT_TRUE(is_stream_state(path));
    EXPECT_FALSE(is_stream_state(golden("mamba1_rmsnorm_L2048_B2") + "/model.safetensors"));
    EXPECT_FALSE(is_stream_state(golden("mamba1_rmsnorm_L2048_B2") + "/config.json"));
    EXPECT_FALSE(is_stream_state((dir / "absent").string()));
    const StreamStateInfo info = read_stream_state_info(path);
    EXPECT_EQ(info.where.contig, "chr1");
    EXPECT_EQ(info.where.position, 1000);
    EXPECT_EQ(info.model, model->info().path);
    EXPECT_EQ(info.model_fingerprint, model_fingerprint(*model));
    std::int64_t values = 0;
    for (const auto& [name, t] : state->tensors()) values += t.numel();
    EXPECT_EQ(info.values, values);
    RunOptions a{.chunk = 300}, b{.chunk = 300};
    a.resume = state.get();
    b.resume = loaded.state.get();
    EXPECT_EQ(test::run_hidden(*model, *be, part(1000, 2048), a),
              test::run_hidden(*model, *be, part(1000, 2048), b));
}

TEST_F(StreamState, FilesOfOtherModelsOrNotStatesAreRefused) {
    const auto state = saved_at(500, 600);
    const std::string path = (dir / "a.state").string();
    save_stream_state(path, *model, *state, {"chr1", 500});
    auto other = Model::load(golden("mamba1_layernorm_L2048_B2"));
    const auto expect_input_error = [&](const std::string& p, const Model& m, const char* what) {
        try {
            (void)load_stream_state(p, m);
            ADD_FAILURE() << "no error for " << what;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::kInput) << e.what();
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    expect_input_error(path, *other, "another model");
    // A safetensors file of the model, but not a state.
    expect_input_error(golden("mamba1_rmsnorm_L2048_B2") + "/model.safetensors", *model,
                       "not a dnassm stream state");
    // One value changed on disk: the hash saved with the values says so.
    SafetensorsFile f = read_safetensors(path);
    const std::string bad = (dir / "bad.state").string();
    f.tensors.begin()->second.f32()[0] += 1.0f;
    write_safetensors(bad, f.tensors, f.metadata);
    expect_input_error(bad, *model, "do not match the hash saved with them (a damaged file)");
    // The right metadata around the wrong tensors (a state saved before the hash was kept).
    f = read_safetensors(path);
    EXPECT_EQ(f.metadata.count("values_hash"), 1u);
    f.metadata.erase("values_hash");
    f.tensors.begin()->second = Tensor({3, 3});
    write_safetensors(bad, f.tensors, f.metadata);
    expect_input_error(bad, *model, "the model's is");
    f = read_safetensors(path);
    f.metadata["position"] = "12x";
    write_safetensors(bad, f.tensors, f.metadata);
    expect_input_error(bad, *model, "position");
    const std::string cut = (dir / "cut.state").string();
    fs::copy_file(path, cut);
    fs::resize_file(cut, 64);
    expect_input_error(cut, *model, "cut.state");
}

TEST_F(StreamState, ModelsThatDoNotStreamOrTiledRunsRefuseIt) {
    const auto state = saved_at(10, 20);
    auto hyena = Model::load(golden("hyenadna_tiny1k_L1024"));
    RunOptions o;
    o.resume = state.get();
    const std::vector<std::int32_t> few(100, 7);
    EXPECT_THROW((void)test::run_hidden(*hyena, *be, few, o), Error);
    RunOptions tiled{.window = 512, .overlap = 64, .tile = true};
    tiled.resume = state.get();
    EXPECT_THROW((void)test::run_hidden(*model, *be, part(0, 1000), tiled), Error);
}

}  // namespace
}  // namespace dnassm
