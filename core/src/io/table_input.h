// Internal: tables of sequences read as a SequenceInput (format kTable), one record per row: a
// `sequence[,label][,id]` CSV (train/label_tables.h) or a GenomicBenchmarks folder of classes
// (train/class_folders.h, interval lists read from InputOptions::reference).
#pragma once

#include <memory>
#include <string>

#include "dnassm/io/sequence_input.h"

namespace dnassm {

/// True for what open_table reads: a folder, or a name ending in .csv or .csv.gz.
[[nodiscard]] bool is_table_path(const std::string& path);

/// Reads the whole table (rows are short and few enough to hold). Bad rows are Error(kInput)
/// naming the file and line.
[[nodiscard]] std::unique_ptr<SequenceInput> open_table(const std::string& path,
                                                        const InputOptions& opts);

}  // namespace dnassm
