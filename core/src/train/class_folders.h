// Internal (fine-tuning, issue B): labeled sequences laid out as GenomicBenchmarks lays them out,
// one class per entry of a folder (its train/ or test/):
//   <class>.csv[.gz]  interval lists, header id,region,start,end,strand (0-based half-open), read
//                     from a reference FASTA; '-' intervals reverse-complemented, as the
//                     benchmark's loc2seq does;
//   <class>/*.txt     full sequences, one per file (what loc2seq writes, and Caduceus reads).
#pragma once

#include <string>
#include <vector>

#include "train/labeled_split.h"

namespace dnassm {

/// Every class of `dir` (entries sorted by name; files and folders whose names do not fit are
/// ignored). Interval lists need `fasta` (messages call it `fasta_option`, the command's option
/// that gives it). Bad rows, unknown contigs, out-of-range intervals and an empty folder are
/// Error(kInput) naming the file.
[[nodiscard]] std::vector<LabeledSequence> read_class_folders(
    const std::string& dir, const std::string& fasta, const std::string& fasta_option = "--fasta");

}  // namespace dnassm
