#include "dnassm/io/vcf_reader.h"

#include <filesystem>
#include <utility>

#include "dnassm/error.h"
#include "dnassm/io/file_format.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/text.h"

namespace dnassm {
namespace {

// Why HTSlib could not read a VCF's header, which it does not say but in its own log: a file of
// another kind, or a VCF's text without the lines a header needs (a hand-written list of
// records is the usual case).
std::string header_problem(const std::string& path) {
    if (path == "-") return "not a VCF/BCF, or its header is malformed";  // read already
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) == 0 && !ec) return "empty file";
    const DetectedFormat fmt = detect_file_format(path);
    if (fmt.format == FileFormat::kBcf) return "its BCF header is malformed";
    if (fmt.byte_order_mark) return byte_order_mark_problem(path);
    const bool text = fmt.format == FileFormat::kVcf ||
                      (fmt.format == FileFormat::kOther &&
                       (fmt.description.find("text") != std::string::npos ||
                        fmt.description.find("compressed") != std::string::npos));
    if (!text) return "not a VCF/BCF file (detected: " + fmt.description + ")";
    TextLines lines(path);
    std::string_view line;
    std::int64_t n = 0;
    bool fileformat = false;
    while (lines.next(line) && n < 100000) {
        if (is_blank(line)) continue;
        if (++n == 1) fileformat = line.starts_with("##fileformat=VCF");
        if (line.starts_with("#CHROM"))
            return !fileformat ? "its first line is not ##fileformat=VCFv4.x"
                   : line.find('\t') == std::string::npos
                       ? "its #CHROM line is not tab-separated"
                       : "its header is malformed (HTSlib cannot read it)";
        if (line.front() != '#')
            return n == 1 ? "no VCF header (##fileformat=VCFv4.x, then a #CHROM line) before "
                            "its records (for a few variants, --variant chr:pos:REF>ALT needs "
                            "no file)"
                          : "no #CHROM line before its records";
    }
    return n == 0 ? "no lines but blank ones" : "no #CHROM line";
}

}  // namespace

VcfReader::VcfReader(const std::string& path) : path_(path) {
    require_readable_file(path, "a VCF/BCF file");
    file_.reset(bcf_open(path.c_str(), "r"));
    DNASSM_CHECK(file_ != nullptr, ErrorKind::kInput, path + ": cannot open");
    hdr_.reset(bcf_hdr_read(file_.get()));
    if (!hdr_) {
        file_.reset();
        throw Error(ErrorKind::kInput, path + ": " + header_problem(path));
    }
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
