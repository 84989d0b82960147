// Tiling and stitching logic of run_sequence, checked exactly with a model whose output at
// position p depends only on the 4 bases ending at p (receptive field 4 < overlap): stitched
// output must then equal one pass for any window.
#include "dnassm/sequence_runner.h"

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/thread_pool.h"

namespace dnassm {
namespace {

class LocalModel final : public Model {
  public:
    explicit LocalModel(std::int64_t limit) : limit_(limit) {
        info_.d_model = 2;
        info_.vocab_size = 2;  // logits = hidden
    }
    const ModelInfo& info() const override { return info_; }
    const CharTokenizer& tokenizer() const override { return tok_; }
    bool causal() const override { return true; }
    bool streams() const override { return false; }
    std::int64_t max_length() const override { return limit_; }
    std::unique_ptr<ModelState> new_state() const override { return nullptr; }
    void logits_into(Backend& be, const Tensor& h, const Tensor& out) const override {
        be.download(h.f32(), out.f32(), h.numel());
    }

  protected:
    // Host memory either way: on the CPU that is an activation too.
    Tensor hidden_states(Backend&,
                         std::span<const std::int32_t> ids,
                         ModelState*,
                         std::vector<Tensor>*,
                         bool) const override {
        EXPECT_LE(static_cast<std::int64_t>(ids.size()), limit_);
        const auto L = static_cast<std::int64_t>(ids.size());
        Tensor h({L, 2});
        for (std::int64_t p = 0; p < L; ++p) {
            float acc = 0;
            for (std::int64_t j = std::max<std::int64_t>(0, p - 3); j <= p; ++j)
                acc = acc * 4 + ids[j];
            h.f32()[p * 2] = acc;
            h.f32()[p * 2 + 1] = static_cast<float>(p >= 3);  // full context seen
        }
        return h;
    }

  private:
    std::int64_t limit_;
    ModelInfo info_;
    CharTokenizer tok_;
};

std::vector<float> run(const Model& m, const std::vector<std::int32_t>& ids, RunOptions o) {
    auto be = make_backend("cpu");
    std::vector<float> out;
    std::int64_t expect = 0;
    run_sequence(m, *be, ids, o, nullptr, [&](std::int64_t off, const Tensor& h) {
        EXPECT_EQ(off, expect) << "rows must arrive in order without gaps";
        expect += h.dim(0);
        out.insert(out.end(), h.f32(), h.f32() + h.numel());
    });
    EXPECT_EQ(expect, static_cast<std::int64_t>(ids.size()));
    return out;
}

TEST(SequenceRunner, StitchedOutputIndependentOfWindow) {
    std::vector<std::int32_t> ids(10007);
    for (size_t i = 0; i < ids.size(); ++i)
        ids[i] = 7 + static_cast<std::int32_t>((i * 2654435761u) >> 7) % 4;
    LocalModel big(20000), small(1000);
    const auto one_pass = run(big, ids, {});
    for (auto [window, overlap] :
         {std::pair<std::int64_t, std::int64_t>{1000, 8}, {999, 100}, {257, 4}, {64, 30}}) {
        RunOptions o;
        o.window = window;
        o.overlap = overlap;
        // With several threads the windows run side by side, and come back in order.
        for (int threads : {1, 2, 3}) {
            set_num_threads(threads);
            EXPECT_EQ(run(small, ids, o), one_pass)
                << "window " << window << " overlap " << overlap << ", " << threads << " threads";
        }
        set_num_threads(1);
    }
}

TEST(SequenceRunner, PlanErrors) {
    LocalModel m(1000);
    RunOptions o;
    EXPECT_FALSE(plan_run(m, 1000, o).tiled);
    EXPECT_TRUE(plan_run(m, 1001, o).tiled);
    EXPECT_EQ(plan_run(m, 5000, o).overlap, 125);
    o.no_tile = true;
    EXPECT_THROW((void)plan_run(m, 1001, o), Error);
    o.no_tile = false;
    o.window = 2000;
    EXPECT_THROW((void)plan_run(m, 5000, o), Error);  // above the model's limit
    o.window = 100;
    o.overlap = 50;
    EXPECT_THROW((void)plan_run(m, 5000, o), Error);  // nothing kept
}

}  // namespace
}  // namespace dnassm
