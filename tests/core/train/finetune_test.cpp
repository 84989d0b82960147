// Fine-tuning: metrics against hand-computed values, and the task-head loss gradient (head and
// backbone, both tasks) against central finite differences on a golden Mamba model.
#include "train/finetune.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/npy.h"

#include "model/mamba.h"
#include "test_util.h"
#include "train/label_tables.h"
#include "train/trainable.h"

namespace dnassm {
namespace {

TEST(Metrics, AurocCountsTiesAsHalf) {
    // Positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5), (0.9>0.1), (0.5=0.5 -> 1/2),
    // (0.5>0.1) = 3.5 of 4.
    EXPECT_DOUBLE_EQ(auroc({0.9f, 0.5f, 0.5f, 0.1f}, {1, 1, 0, 0}), 3.5 / 4.0);
    EXPECT_DOUBLE_EQ(auroc({0.1f, 0.2f}, {1, 0}), 0.0);
    EXPECT_TRUE(std::isnan(auroc({0.1f, 0.2f}, {1, 1})));
}

TEST(Metrics, BinaryMatchesTheConfusionMatrixFormulas) {
    // labels 1 1 1 0 0 0, predictions (argmax) 1 1 0 0 0 1: TP 2, FN 1, TN 2, FP 1.
    const std::vector<float> probs = {0.2f, 0.8f, 0.3f, 0.7f, 0.6f,  0.4f,
                                      0.9f, 0.1f, 0.8f, 0.2f, 0.45f, 0.55f};
    const std::vector<std::int32_t> labels = {1, 1, 1, 0, 0, 0};
    const TaskMetrics m = classification_metrics(probs, labels, 2);
    EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6.0);
    const double mcc = (2.0 * 2 - 1.0 * 1) / std::sqrt(3.0 * 3 * 3 * 3);
    EXPECT_NEAR(m.mcc, mcc, 1e-12);
    EXPECT_NEAR(m.f1, 2.0 * 2 / (2.0 * 2 + 1 + 1), 1e-12);
    // p(1): positives 0.8 0.7 0.4, negatives 0.1 0.2 0.55 -> 8 of 9 pairs ordered.
    EXPECT_NEAR(m.auroc, 8.0 / 9.0, 1e-12);
    EXPECT_NEAR(m.loss,
                -(std::log(0.8) + std::log(0.7) + std::log(0.4) + std::log(0.9) + std::log(0.8) +
                  std::log(0.45)) /
                    6.0,
                1e-6);
}

TEST(Metrics, MultiClassMccIsOneWhenPerfectAndMacroAveraged) {
    const std::vector<float> probs = {0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f};
    const TaskMetrics m = classification_metrics(probs, {0, 1, 2}, 3);
    EXPECT_DOUBLE_EQ(m.mcc, 1.0);
    EXPECT_DOUBLE_EQ(m.f1, 1.0);
    EXPECT_DOUBLE_EQ(m.auroc, 1.0);
    EXPECT_EQ(m.auroc_per_class.size(), 3u);
}

TEST(Metrics, RegressionAgainstHandComputedValues) {
    const TaskMetrics m = regression_metrics({1, 2, 3, 4}, {1, 2, 3, 5});
    EXPECT_TRUE(m.regression);
    EXPECT_DOUBLE_EQ(m.loss, 0.25);
    // y mean 2.75, total sum of squares 8.75; x deviations -1.5 -0.5 0.5 1.5, sxy 6.5, sxx 5.
    EXPECT_NEAR(m.r2, 1.0 - 1.0 / 8.75, 1e-12);
    EXPECT_NEAR(m.pearson, 6.5 / std::sqrt(5.0 * 8.75), 1e-12);
    EXPECT_DOUBLE_EQ(m.spearman, 1.0);  // monotone
    // Tied predictions share their average rank: ranks 1.5 1.5 3 against 1 2 3.
    EXPECT_NEAR(regression_metrics({1, 1, 2}, {1, 2, 3}).spearman, 1.5 / std::sqrt(1.5 * 2.0),
                1e-12);
    // Constant predictions: no correlation to speak of.
    EXPECT_TRUE(std::isnan(regression_metrics({2, 2, 2}, {1, 2, 3}).pearson));
    EXPECT_TRUE(regression_metrics({2, 2, 2}, {1, 2, 3}).to_json()["pearson"].is_null());
}

class TaskLossGrad : public ::testing::TestWithParam<HeadTask> {};

TEST_P(TaskLossGrad, HeadAndBackboneMatchFiniteDifferences) {
    const std::string dir = test::data_dir() + "/golden/mamba1_rmsnorm_L2048_B2";
    auto loaded = Model::load(dir);
    const auto& model = dynamic_cast<const MambaModel&>(*loaded);
    const auto trainable = make_trainable(*loaded);
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::span<const std::int32_t> ids(all.data<std::int32_t>() + 50, 20);
    const HeadTask task = GetParam();
    const bool valued = task == HeadTask::kRegress || task == HeadTask::kTrack;
    TaskHead head = TaskHead::create(
        task, valued ? std::vector<std::string>{"value"} : std::vector<std::string>{"a", "b", "c"},
        model.config().d_model, 5);
    test::Rng rng(3);
    for (float& w : head.weight.span_f32()) w = rng.uniform(-0.3f, 0.3f);
    std::vector<std::int32_t> labels(ids.size());
    for (auto& y : labels) y = static_cast<std::int32_t>(rng.next() % 3);
    // regress: one value; track: one per base, one base without a value (NaN, left out).
    std::vector<float> values(task == HeadTask::kTrack ? ids.size() : 1);
    for (auto& v : values) v = rng.uniform(-1.0f, 1.0f);
    if (task == HeadTask::kTrack) values[3] = std::numeric_limits<float>::quiet_NaN();
    HeadTarget target = valued ? HeadTarget(values.data()) : HeadTarget(labels.data());
    // The segment case also weights its classes (--class-weight); classify stays unweighted.
    const std::vector<float> class_weights = {0.5f, 2.0f, 1.3f};
    if (task == HeadTask::kSegment) target.class_weights = class_weights.data();

    std::map<std::string, Tensor> grads;
    const double loss =
        task_loss(*trainable, head, ids, target, 0.5, grads, test::backend("cpu-ref"));
    EXPECT_GT(loss, 0.0);
    auto loss_only = [&] {
        std::map<std::string, Tensor> unused;
        return task_loss(*trainable, head, ids, target, 0.5, unused, test::backend("cpu-ref"));
    };
    const auto& l0 = model.layer(0).mixer;
    const std::vector<std::pair<std::string, Tensor>> checked = {
        {"head.weight", head.weight},
        {"head.bias", head.bias},
        {"norm_f.weight", model.norm_f_weight()},
        {"layers.0.mixer.in_proj.weight", l0.in_proj_w},
        {"layers.0.mixer.dt_proj.bias", l0.dt_proj_b},
        {"layers.1.mixer.out_proj.weight", model.layer(1).mixer.out_proj_w}};
    for (const auto& [name, t] : checked) {
        ASSERT_TRUE(grads.count(name)) << name;
        for (int k = 0; k < 5; ++k) {
            const auto idx =
                static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(t.numel()));
            float& w = t.f32()[idx];
            const float keep = w, h = 2e-3f * std::max(1.0f, std::fabs(keep));
            w = keep + h;
            const double up = loss_only();
            w = keep - h;
            const double down = loss_only();
            w = keep;
            const double fd = (up - down) / (2.0 * h);
            EXPECT_NEAR(grads.at(name).f32()[idx], fd, 2e-4 + 2e-2 * std::fabs(fd))
                << name << "[" << idx << "]";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Tasks,
                         TaskLossGrad,
                         ::testing::Values(HeadTask::kClassify,
                                           HeadTask::kSegment,
                                           HeadTask::kRegress,
                                           HeadTask::kTrack));

TEST(LabeledCsv, ReadsHeaderInAnyOrderAndNamesBadLines) {
    const std::string dir = ::testing::TempDir();
    {
        std::ofstream(dir + "/ok.csv") << "label,sequence\n1,ACGT\n0,GGCC\n";
        const auto rows = read_labeled_csv(dir + "/ok.csv");
        ASSERT_EQ(rows.size(), 2u);
        EXPECT_EQ(rows[0].seq, "ACGT");
        EXPECT_EQ(rows[0].label, "1");
        EXPECT_EQ(rows[1].id, "2");
    }
    std::ofstream(dir + "/bad.csv") << "sequence,label\nACGT,1\nACGT\n";
    try {
        (void)read_labeled_csv(dir + "/bad.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("bad.csv: line 3"), std::string::npos) << e.what();
    }
    std::ofstream(dir + "/nolabel.csv") << "sequence\nACGT\n";
    EXPECT_THROW((void)read_labeled_csv(dir + "/nolabel.csv"), Error);
    EXPECT_EQ(read_labeled_csv(dir + "/nolabel.csv", false).size(), 1u);
}

// R's write.csv quotes every string and adds a column of row names; a spreadsheet's "CSV UTF-8"
// starts with a byte order mark and ends lines with CRLF.
TEST(LabeledCsv, ReadsQuotedFieldsAByteOrderMarkAndCrlf) {
    const std::string dir = ::testing::TempDir();
    std::ofstream(dir + "/r.csv")
        << "\"\",\"sequence\",\"label\"\n\"1\",\"ACGT\",\"enhancer, weak\"\n";
    auto rows = read_labeled_csv(dir + "/r.csv");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].seq, "ACGT");
    EXPECT_EQ(rows[0].label, "enhancer, weak");
    std::ofstream(dir + "/excel.csv") << "\xEF\xBB\xBFsequence,label\r\nGGCC,1\r\n\r\n";
    rows = read_labeled_csv(dir + "/excel.csv");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].seq, "GGCC");
    EXPECT_EQ(rows[0].label, "1");
    std::ofstream(dir + "/open.csv") << "sequence,label\n\"ACGT,1\n";
    try {
        (void)read_labeled_csv(dir + "/open.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("open.csv: line 2: unbalanced quotes"),
                  std::string::npos)
            << e.what();
    }
    // Header names as people type them; a tab-separated file named .csv says what it is.
    std::ofstream(dir + "/caps.csv") << "Sequence, Label\nACGT,1\n";
    EXPECT_EQ(read_labeled_csv(dir + "/caps.csv").at(0).label, "1");
    std::ofstream(dir + "/tabs.csv") << "sequence\tlabel\nACGT\t1\n";
    try {
        (void)read_labeled_csv(dir + "/tabs.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("(this one is tab-separated; a CSV table's fields are "
                                             "separated by commas)"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace dnassm
