// dnassm::TaskHead — a fine-tuned prediction head on top of a model's final hidden states
// (issue B, `dnassm finetune`). Stored beside the backbone in the model directory:
// config.json "task_head" {task, classes, pooling} and head.safetensors {weight {C, D}, bias {C}}.
//   classify: mean of the hidden states over the sequence -> C class probabilities
//   segment:  every base's hidden state -> C class probabilities (per-base tracks)
//   regress:  mean of the hidden states over the sequence -> one value ("classes" names it)
//   track:    every base's hidden state -> one value per base (per-base regression tracks)
#pragma once

#include <string>
#include <vector>

#include "dnassm/tensor.h"

namespace dnassm {

enum class HeadTask { kClassify, kSegment, kRegress, kTrack };

struct TaskHead {
    HeadTask task = HeadTask::kClassify;
    std::vector<std::string> classes;  // class names, in output order
    Tensor weight;                     // {C, D}
    Tensor bias;                       // {C}

    /// A zero-initialised head (weight small random from `seed`) for C classes on width D.
    static TaskHead create(HeadTask task,
                           std::vector<std::string> classes,
                           std::int64_t d_model,
                           std::uint64_t seed);
    [[nodiscard]] std::int64_t n_classes() const {
        return static_cast<std::int64_t>(classes.size());
    }
    [[nodiscard]] const char* task_name() const;
    /// Whether the head answers once per sequence (classify, regress) rather than per base.
    [[nodiscard]] bool per_sequence() const {
        return task == HeadTask::kClassify || task == HeadTask::kRegress;
    }
    /// Whether the head predicts a value (regress, track) rather than class probabilities.
    [[nodiscard]] bool predicts_values() const {
        return task == HeadTask::kRegress || task == HeadTask::kTrack;
    }
    /// The names of the outputs, as predict's columns and tracks: p_<class>, or the target's name.
    [[nodiscard]] std::vector<std::string> output_names() const;

    /// hidden {L, D} -> outputs: {1, C} (mean-pooled) or {L, C} (segment, track); class
    /// probabilities, or the predicted value (regress, track).
    [[nodiscard]] Tensor outputs(const Tensor& hidden) const;
    /// Logits {n, C} -> outputs in place: softmax over the classes; the value itself (regress).
    void activate(Tensor& logits) const;
    /// Logits of rows {n, D} (already pooled for classify) -> {n, C}.
    [[nodiscard]] Tensor logits(const float* rows, std::int64_t n) const;

    /// The config.json "task_head" object.
    [[nodiscard]] std::string config_json() const;
    /// Writes head.safetensors into `dir` (atomically).
    void save(const std::string& dir) const;
    /// Reads the head described by config.json's "task_head" (as JSON text) from `dir`.
    static TaskHead load(const std::string& dir,
                         const std::string& config_json,
                         std::int64_t d_model);
};

/// Mean over the rows of hidden {L, D} (the classification head's pooling), accumulated in double.
[[nodiscard]] std::vector<float> mean_pool(const Tensor& hidden);

/// Row-wise softmax in place over C columns.
void softmax_rows(float* x, std::int64_t rows, std::int64_t C);

}  // namespace dnassm
