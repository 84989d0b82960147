// What a data file holds, by its content (HTSlib's detection), so every reader and the explorer
// name a wrong kind of file the same way instead of failing inside the wrong parser.
#pragma once

#include <string>

struct hFILE;  // HTSlib's buffered stream

namespace dnassm {

enum class FileFormat { kFasta, kFastq, kSam, kBam, kCram, kVcf, kBcf, kOther };

struct DetectedFormat {
    FileFormat format = FileFormat::kOther;
    bool compressed = false;       // gzip or BGZF
    bool bgzf = false;             // BGZF, which an index can seek in
    bool byte_order_mark = false;  // plain text after a UTF-8 BOM, which HTSlib cannot read
    std::string description;       // HTSlib's words, e.g. "BAM version 1 compressed sequence data"

    [[nodiscard]] bool alignments() const {
        return format == FileFormat::kSam || format == FileFormat::kBam ||
               format == FileFormat::kCram;
    }
};

/// Detects the format of the readable, non-empty file at `path`. HTSlib takes a FASTA or FASTQ
/// only when its first lines look like sequence; a file that starts with '>' or '@' is taken as
/// one here, so its reader names the offending line. Throws Error(kResource) when the file cannot
/// be opened.
[[nodiscard]] DetectedFormat detect_file_format(const std::string& path);

/// HTSlib's detection alone, of a stream already open (standard input): it peeks at the first
/// bytes through the stream's buffer and consumes none. `name` is for HTSlib's hints only.
[[nodiscard]] DetectedFormat detect_stream_format(hFILE* in, const std::string& name);

/// How to give the alignment file at `path` the index that regions need: "run 'samtools index'",
/// or for a SAM that is not BGZF-compressed (which cannot be indexed) how to sort it to a BAM.
[[nodiscard]] std::string alignment_index_advice(const std::string& path,
                                                 const DetectedFormat& format);

/// Why a text file that starts with a UTF-8 byte-order mark cannot be read, and how to remove it.
[[nodiscard]] std::string byte_order_mark_problem(const std::string& path);

}  // namespace dnassm
