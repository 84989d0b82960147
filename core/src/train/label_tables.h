// Internal (training, issue B): the tables labeled sequences come in, read for `finetune` and
// for `predict --metrics`: `sequence,label` CSVs, a BED's label column, regression targets.
#pragma once

#include <string>
#include <vector>

#include "train/labeled_split.h"

namespace dnassm {

/// Reads `sequence,label` CSV, plain or gzip/BGZF (a header naming both columns, in any order; an
/// optional `id` column, else ids are the 1-based row numbers). With need_label = false the label
/// column may be absent (prediction). Malformed rows are Error(kInput) naming file and line.
std::vector<LabeledSequence> read_labeled_csv(const std::string& path, bool need_label = true);

/// A regression target: the whole label must be a finite number, else Error(kInput) naming
/// `where`.
double parse_target(const std::string& label, const std::string& where);

/// True for names ending in .csv or .csv.gz (labeled-sequence tables rather than sequence files).
bool is_csv_path(const std::string& path);

/// BED column `column` (1-based, >= 4) of every data line, in file order.
std::vector<std::string> read_bed_column(const std::string& path, int column);

}  // namespace dnassm
