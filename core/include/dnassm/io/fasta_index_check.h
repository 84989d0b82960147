// Checks that a FASTA's .fai index accounts for every record of the file.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace dnassm {

/// Records with no bases (a FASTA header without sequence lines, an empty FASTQ read): faidx
/// leaves them out of its index, and readers leave them out too, counting them.
struct EmptyRecords {
    std::int64_t count = 0;
    std::string first;  // the first one's name
    void add(std::string name) {
        if (count++ == 0) first = std::move(name);
    }
};

/// faidx keeps only the first of several records with one name (a warning on stderr, nothing
/// else) and trusts an existing index even when the file changed since. This reads the index at
/// `fai_path` and checks that its records cover the file: around the indexed records' sequences
/// there are only line breaks and header lines, each header but the one before an indexed
/// sequence being a record with no bases (returned). Reads only those gaps, so it is cheap on any
/// genome. Throws Error(kInput) naming the file and the record with bases that is not indexed (a
/// repeated name, or a stale index).
EmptyRecords check_fasta_index_covers_file(const std::string& fasta_path,
                                           const std::string& fai_path);

}  // namespace dnassm
