// VCF/BCF input through HTSlib, each record checked as it is read. HTSlib reads some malformed
// lines without an error (a line cut short has no REF; an empty line is a record), and code that
// then reads the record's alleles would trip on them: here they are a one-line Error naming the
// record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <htslib/vcf.h>

namespace dnassm {

class VcfReader {
  public:
    /// Opens `path` ("-": standard input) and reads its header; Error(kInput) naming it when it
    /// cannot be opened or its header is malformed.
    explicit VcfReader(const std::string& path);

    [[nodiscard]] bcf_hdr_t* header() const { return hdr_.get(); }
    /// Records read so far.
    [[nodiscard]] std::int64_t records() const { return n_; }

    /// Reads the next record into `rec`, parsed against `hdr` (this file's header when null), its
    /// alleles unpacked: false at the end of the file. Error(kInput) naming the record when
    /// HTSlib cannot parse it, flags it as malformed or reads no REF.
    bool next(bcf1_t* rec, bcf_hdr_t* hdr = nullptr);

  private:
    std::string path_;
    std::unique_ptr<htsFile, int (*)(htsFile*)> file_{nullptr, hts_close};
    std::unique_ptr<bcf_hdr_t, void (*)(bcf_hdr_t*)> hdr_{nullptr, bcf_hdr_destroy};
    std::int64_t n_ = 0;
};

/// Reads every record of the VCF/BCF at `path` once, parsed against `hdr` (the header of another
/// reader of the same file), and counts them. `hdr` learns on the way the contigs and INFO/FORMAT
/// tags the records use without declaring them (HTSlib adds them as it reads), so an output's
/// header, written before any record, can declare them all.
[[nodiscard]] std::int64_t scan_vcf_records(const std::string& path, bcf_hdr_t* hdr);

}  // namespace dnassm
