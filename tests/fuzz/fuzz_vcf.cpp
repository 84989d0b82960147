// VCF files as `dnassm score` reads them (dnassm/io/vcf_reader.h): a first pass that counts the
// records and teaches the header what they use undeclared, then the records read again against
// that header, their alleles and contig read and each record written back out as VCF text.
#include <cstring>
#include <memory>

#include "dnassm/io/vcf_reader.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const bool quiet = (hts_set_log_level(HTS_LOG_OFF), true);  // as dnassm runs
    (void)quiet;
    const std::string path = dnassm::fuzz::temp_file(data, size, ".vcf");
    return dnassm::fuzz::guarded([&] {
        dnassm::VcfReader vcf(path);
        bcf_hdr_t* hdr = vcf.header();
        const std::int64_t n = dnassm::scan_vcf_records(path, hdr);
        std::unique_ptr<htsFile, int (*)(htsFile*)> out(hts_open("/dev/null", "w"), hts_close);
        if (!out || bcf_hdr_write(out.get(), hdr) != 0) std::abort();
        std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> rec(bcf_init(), bcf_destroy);
        size_t chars = 0, written = 0;
        while (vcf.next(rec.get())) {
            // What score reads of every record it takes.
            for (int a = 0; a < rec->n_allele; ++a) chars += std::strlen(rec->d.allele[a]);
            chars += std::strlen(bcf_seqname_safe(hdr, rec.get()));
            if (rec->n_allele < 1 || rec->d.allele[0][0] == '\0') std::abort();
            written += bcf_write(out.get(), hdr, rec.get()) == 0;
        }
        if (vcf.records() != n) std::abort();  // both passes see the same records
        (void)chars;
        (void)written;
    });
}
