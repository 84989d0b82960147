// Streaming: a causal model run chunk by chunk, carrying conv and SSM state, equals one pass.
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "dnassm/io/sequence_input.h"
#include "dnassm/model.h"
#include "dnassm/thread_pool.h"

#include "test_util.h"

namespace dnassm {
namespace {

std::vector<std::int32_t> real_tokens(const std::string& path, const std::string& region_spec) {
    auto in = SequenceInput::open(path);
    std::vector<Region> regions = parse_regions({region_spec}, in->contigs());
    std::vector<std::int32_t> ids;
    in->for_each(regions, [&](SequenceRecord& r) {
        TokenizeStats stats;
        CharTokenizer().encode(r.seq, ids, stats, r.name);
    });
    return ids;
}

Tensor run_chunked(const Model& m,
                   Backend& be,
                   const std::vector<std::int32_t>& ids,
                   std::int64_t chunk) {
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = m.info().d_model;
    Tensor out({L, D});
    auto state = m.new_state();
    for (std::int64_t t = 0; t < L; t += chunk) {
        const std::int64_t n = std::min(chunk, L - t);
        const Tensor h = m.forward(be, {ids.data() + t, static_cast<size_t>(n)}, state.get());
        std::copy(h.f32(), h.f32() + n * D, out.f32() + t * D);
    }
    return out;
}

void expect_chunking_invariant(const std::vector<std::int32_t>& ids) {
    auto model = Model::load(test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2");
    auto be = make_backend("cpu");
    const Tensor one = run_chunked(*model, *be, ids, static_cast<std::int64_t>(ids.size()));
    for (std::int64_t chunk : {1000, 4096, 33333}) {
        const Tensor c = run_chunked(*model, *be, ids, chunk);
        EXPECT_LE(test::rel_l2(c.f32(), one.f32(), one.numel()), 1e-5) << "chunk " << chunk;
    }
}

TEST(MambaStreaming, ChunkedEqualsOnePassOnLambda) {
    expect_chunking_invariant(
        real_tokens(test::data_dir() + "/../../data/lambda/lambda_virus.fa.gz", "NC_001416.1"));
}

TEST(MambaStreaming, ChunkedEqualsOnePassOn100kbEcoli) {
    const std::string fa =
        test::shared_data_dir() + "/ecoli_k12_mg1655/ecoli_k12_mg1655.bgzf.fa.gz";
    if (!std::filesystem::exists(fa))
        GTEST_SKIP() << "skipped: " << fa << " absent (../shared/data)";
    expect_chunking_invariant(real_tokens(fa, "NC_000913.3:1000001-1100000"));
}

TEST(MambaStreaming, IdenticalForAnyThreadCount) {
    auto model = Model::load(test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2");
    auto be = make_backend("cpu");
    const auto ids = real_tokens(test::data_dir() + "/../../data/lambda/lambda_virus.fa.gz",
                                 "NC_001416.1:1-20000");
    set_num_threads(1);
    const Tensor a = model->forward(*be, ids, nullptr);
    set_num_threads(2);
    const Tensor b = model->forward(*be, ids, nullptr);
    set_num_threads(3);
    const Tensor c = model->forward(*be, ids, nullptr);
    set_num_threads(1);
    EXPECT_EQ(0, std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * 4));
    EXPECT_EQ(0, std::memcmp(a.f32(), c.f32(), static_cast<size_t>(a.numel()) * 4));
}

}  // namespace
}  // namespace dnassm
