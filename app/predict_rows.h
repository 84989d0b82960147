// predict's per-sequence tables: one TSV row per input sequence (CSV row, sequence of a
// GenomicBenchmarks folder, FASTA record, -r/-R region, or read of a FASTQ/SAM/BAM/CRAM file).
#pragma once

#include <string>
#include <vector>

#include "dnassm/per_base_track.h"

#include "common.h"

namespace dnassm::app {

/// A fine-tuned per-sequence head's outputs: columns id and p_<class> for every class of a
/// classifier, or id and value for a regression.
/// --metrics: where the outputs' metrics against the labels go (finetune's: accuracy, MCC, F1,
/// AUROC; or MSE, Pearson, Spearman, R2), read from a labeled CSV's 'label' column, a
/// GenomicBenchmarks folder's classes, or column `label_column` of the -R BED (default: 4 for a
/// classifier, 5 for a regression, as finetune).
struct Metrics {
    std::string path;       // none: no metrics
    int label_column = -1;  // -1: the task's default
};

int predict_head_rows(Session& s, const CommonOptions& o, const Metrics& metrics = {});

/// An LM's (or a segmentation head's) per-base tracks summarised over each sequence: columns id,
/// chrom, start, end (0-based; empty without a reference interval), length, then for every track
/// T its T_bases (bases with a value), T_sum and T_mean, and, with loglik, bits_per_base
/// (−loglik_mean / ln 2): a causal LM's zero-shot likelihood of each sequence, a masked LM's
/// pseudo-log-likelihood.
int predict_summaries(Session& s,
                      const CommonOptions& o,
                      const std::vector<std::string>& names,
                      const std::vector<TrackSpec>& specs);

}  // namespace dnassm::app
