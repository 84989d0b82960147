// Checks that a FASTA's .fai index accounts for every record of the file.
#pragma once

#include <string>

namespace dnassm {

/// faidx keeps only the first of several records with one name (a warning on stderr, nothing
/// else) and trusts an existing index even when the file changed since. This reads the index at
/// `fai_path` and checks that its records cover the file: between consecutive records exactly
/// one header line, after the last one nothing but line breaks. Reads only those gaps (header
/// lines), so it is cheap on any genome. Throws Error(kInput) naming the file and the record that
/// is not indexed (a repeated name, or a stale index).
void check_fasta_index_covers_file(const std::string& fasta_path, const std::string& fai_path);

}  // namespace dnassm
