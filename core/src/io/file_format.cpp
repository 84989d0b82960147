#include "dnassm/io/file_format.h"

#include <cctype>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

int first_non_space(const std::string& path) {
    BGZF* fp = bgzf_open(path.c_str(), "r");
    if (!fp) return -1;
    int c;
    while ((c = bgzf_getc(fp)) >= 0 && std::isspace(c)) {
    }
    bgzf_close(fp);
    return c;
}

}  // namespace

DetectedFormat detect_stream_format(hFILE* in, const std::string& name) {
    htsFormat fmt{};
    DetectedFormat out;
    if (hts_detect_format2(in, name.c_str(), &fmt) != 0) return out;
    out.compressed = fmt.compression == gzip || fmt.compression == bgzf;
    out.bgzf = fmt.compression == bgzf;
    char head[3];
    out.byte_order_mark =
        !out.compressed && hpeek(in, head, 3) == 3 && std::string_view(head, 3) == "\xEF\xBB\xBF";
    char* desc = hts_format_description(&fmt);
    out.description = desc ? desc : "unknown";
    std::free(desc);
    static constexpr std::pair<htsExactFormat, FileFormat> kKnown[] = {
        {fasta_format, FileFormat::kFasta},
        {fastq_format, FileFormat::kFastq},
        {sam, FileFormat::kSam},
        {bam, FileFormat::kBam},
        {cram, FileFormat::kCram},
        {vcf, FileFormat::kVcf},
        {bcf, FileFormat::kBcf}};
    for (const auto& [hts, ours] : kKnown)
        if (fmt.format == hts) out.format = ours;
    return out;
}

DetectedFormat detect_file_format(const std::string& path) {
    hFILE* hf = hopen(path.c_str(), "r");
    DNASSM_CHECK(hf, ErrorKind::kResource, path + ": cannot open");
    DetectedFormat out = detect_stream_format(hf, path);
    hclose_abruptly(hf);
    if (out.format != FileFormat::kOther || out.description.empty()) return out;
    const int first = first_non_space(path);
    if (first == '>') out.format = FileFormat::kFasta;
    if (first == '@') out.format = FileFormat::kFastq;
    return out;
}

std::string byte_order_mark_problem(const std::string& path) {
    return "starts with a UTF-8 byte-order mark (as some Windows editors save text), which "
           "HTSlib does not read; remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' " +
           path;
}

std::string alignment_index_advice(const std::string& path, const DetectedFormat& format) {
    if (format.format == FileFormat::kSam && !format.bgzf)
        return std::string(format.compressed ? "a gzip (not bgzip) SAM" : "a plain SAM") +
               " cannot be indexed: 'samtools sort -o OUT.bam " + path +
               "', then 'samtools index OUT.bam'";
    return "run 'samtools index " + path + "'";
}

}  // namespace dnassm
