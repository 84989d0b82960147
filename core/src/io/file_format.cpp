#include "dnassm/io/file_format.h"

#include <cctype>
#include <cstdlib>

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

DetectedFormat detect_file_format(const std::string& path) {
    hFILE* hf = hopen(path.c_str(), "r");
    DNASSM_CHECK(hf, ErrorKind::kResource, path + ": cannot open");
    htsFormat fmt{};
    const int det = hts_detect_format2(hf, path.c_str(), &fmt);
    hclose_abruptly(hf);
    DetectedFormat out;
    if (det != 0) return out;
    out.compressed = fmt.compression == gzip || fmt.compression == bgzf;
    out.bgzf = fmt.compression == bgzf;
    char* desc = hts_format_description(&fmt);
    out.description = desc ? desc : "unknown";
    std::free(desc);
    switch (fmt.format) {
        case fasta_format:
            out.format = FileFormat::kFasta;
            break;
        case fastq_format:
            out.format = FileFormat::kFastq;
            break;
        case sam:
            out.format = FileFormat::kSam;
            break;
        case bam:
            out.format = FileFormat::kBam;
            break;
        case cram:
            out.format = FileFormat::kCram;
            break;
        case vcf:
            out.format = FileFormat::kVcf;
            break;
        case bcf:
            out.format = FileFormat::kBcf;
            break;
        default: {
            const int first = first_non_space(path);
            if (first == '>') out.format = FileFormat::kFasta;
            if (first == '@') out.format = FileFormat::kFastq;
        }
    }
    return out;
}

std::string alignment_index_advice(const std::string& path, const DetectedFormat& format) {
    if (format.format == FileFormat::kSam && !format.bgzf)
        return std::string(format.compressed ? "a gzip (not bgzip) SAM" : "a plain SAM") +
               " cannot be indexed: 'samtools sort -o OUT.bam " + path +
               "', then 'samtools index OUT.bam'";
    return "run 'samtools index " + path + "'";
}

}  // namespace dnassm
