#include "dnassm/io/vcf_reader.h"

#include <utility>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"

namespace dnassm {

VcfReader::VcfReader(const std::string& path) : path_(path) {
    require_readable_file(path, "a VCF/BCF file");
    file_.reset(bcf_open(path.c_str(), "r"));
    DNASSM_CHECK(file_ != nullptr, ErrorKind::kInput, path + ": cannot open");
    hdr_.reset(bcf_hdr_read(file_.get()));
    DNASSM_CHECK(hdr_ != nullptr, ErrorKind::kInput,
                 path + ": not a VCF/BCF file, or its header is malformed");
}

bool VcfReader::next(bcf1_t* rec, bcf_hdr_t* hdr) {
    if (!hdr) hdr = hdr_.get();
    const int ret = bcf_read(file_.get(), hdr, rec);
    if (ret == -1) return false;
    const std::string number = "record " + std::to_string(++n_);
    DNASSM_CHECK(ret == 0, ErrorKind::kInput,
                 path_ + ": " + number + " cannot be parsed (a malformed line)");
    static constexpr std::pair<int, const char*> kErrors[] = {
        {BCF_ERR_NCOLS, "too few columns"},
        {BCF_ERR_CHAR, "an invalid character"},
        {BCF_ERR_LIMITS, "a value past HTSlib's limits"},
        {BCF_ERR_CTG_INVALID, "an invalid contig name"},
        {BCF_ERR_TAG_INVALID, "an invalid INFO/FORMAT tag"}};
    std::string why;
    for (const auto& [code, what] : kErrors)
        if (rec->errcode & code) why += (why.empty() ? "" : ", ") + std::string(what);
    if (why.empty() && (bcf_unpack(rec, BCF_UN_STR) != 0 || rec->n_allele < 1 || !rec->d.allele ||
                        !rec->d.allele[0] || !*rec->d.allele[0]))
        why = "no REF allele (an empty or truncated line?)";
    if (why.empty()) return true;
    const std::string chrom = bcf_seqname_safe(hdr, rec);
    const std::string at =
        chrom.empty() ? "" : " (" + chrom + ":" + std::to_string(rec->pos + 1) + ")";
    throw Error(ErrorKind::kInput, path_ + ": " + number + at + " is malformed: " + why);
}

std::int64_t scan_vcf_records(const std::string& path, bcf_hdr_t* hdr) {
    VcfReader vcf(path);
    std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> rec(bcf_init(), bcf_destroy);
    while (vcf.next(rec.get(), hdr)) {
    }
    return vcf.records();
}

}  // namespace dnassm
