// Internal (training, issue B): fine-tuning a task head (and optionally the backbone) on labeled
// sequences (CSV `sequence,label`, or BED + FASTA) or labeled regions for per-base segmentation.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dnassm/progress.h"
#include "dnassm/task_head.h"

#include "train/adamw.h"
#include "train/labeled_split.h"
#include "train/metrics.h"

namespace dnassm {

struct FinetuneOptions {
    std::string base_model, out_dir;
    bool force = false;  // replace a model already in out_dir
    HeadTask task = HeadTask::kClassify;
    std::string train, val;  // CSV or BED (then `fasta` is needed); val may be empty
    std::string test;        // classify: scored once by the kept head (metrics.json "test")
    std::string fasta;
    int label_column = -1;  // BED column with the class or value; -1: 4 (classify), 5 (regress),
                            // 0 (segment: inside an interval or not)
    // segment on a BED: label bases by gene structure from its BED12 blocks and thick columns,
    // as a GFF3/GTF annotation labels them (a GFF3/GTF always does)
    bool gene_structure = false;
    // segment: where windows come from; classify (BED input): which examples train, validate
    std::vector<std::string> train_regions, val_regions;
    std::int64_t epochs = 3, steps = 0, batch = 16, window = 1024, eval_every = 0, patience = 3;
    std::int64_t max_train = 0;   // use at most this many training examples (0: all)
    double val_fraction = 0.1;    // without --val: this fraction of each class validates
    std::string select = "auto";  // auroc (classes) or pearson (regress), or as named
    bool freeze_backbone = false;
    bool stranded = false;  // classify, BED: '-' strand intervals read reverse-complemented
    bool rc_aug = false;    // classify, regress: each training draw on a random strand
    std::string class_weight = "none";  // or "balanced": classes weighted n / (C * n_class)
    bool bf16 = false;                  // autocast: bfloat16 GEMMs in training steps (Bf16Autocast)
    bool recompute = false;             // activation checkpointing per block (long windows)
    std::string device = "cpu";         // a make_backend name
    std::uint64_t seed = 1;
    AdamWOptions adam;
    ProgressMode progress = ProgressMode::kAuto;
    std::string command;
};

/// Trains, writes out_dir (a model directory with the task head) and returns the validation
/// metrics of the kept (best) head.
TaskMetrics finetune(const FinetuneOptions& o);

/// What a head is trained towards: class labels (classify: labels[0]; segment: one per base), or
/// the value of a regression (values[0], on the scale the head is trained at). With
/// class_weights, each label's cross-entropy counts class_weights[label] times.
struct HeadTarget {
    HeadTarget(const std::int32_t* class_labels) : labels(class_labels) {}  // NOLINT: implicit
    HeadTarget(const float* target_values) : values(target_values) {}       // NOLINT: implicit
    const std::int32_t* labels = nullptr;
    const float* values = nullptr;
    const float* class_weights = nullptr;
};

/// Loss of a backbone (Mamba, HyenaDNA or Caduceus) + task head on one sequence, times `scale`:
/// cross-entropy of the mean-pooled prediction against labels[0] (classify), the mean per-base
/// cross-entropy against labels[0..L) (segment), or the squared error of the mean-pooled
/// prediction against values[0] (regress). Gradients (times `scale`) are added into `grads`
/// by canonical name, the head's as "head.weight"/"head.bias". Runs on `be` ("cpu-ref" for gradient
/// checks); recompute as Trainable::forward.
double task_loss(const class Trainable& model,
                 const TaskHead& head,
                 std::span<const std::int32_t> ids,
                 HeadTarget target,
                 double scale,
                 std::map<std::string, Tensor>& grads,
                 class Backend& be,
                 bool recompute = false);

}  // namespace dnassm
