#include "dnassm/io/file_format.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>

#include "dnassm/error.h"

namespace dnassm {
namespace {

std::string write(const std::string& name, const std::string& text, bool bgzf = false) {
    const std::string path = testing::TempDir() + "/file_format_" + name;
    if (bgzf) {
        BGZF* fp = bgzf_open(path.c_str(), "w");
        EXPECT_TRUE(fp);
        EXPECT_EQ(bgzf_write(fp, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        bgzf_close(fp);
    } else {
        std::ofstream(path) << text;
    }
    return path;
}

const char kSam[] = "@SQ\tSN:ref\tLN:40\nr1\t0\tref\t1\t60\t4M\t*\t0\t0\tACGT\t*\n";

TEST(DetectFileFormat, ByContentNotName) {
    EXPECT_EQ(detect_file_format(write("a.txt", ">x\nACGT\n")).format, FileFormat::kFasta);
    EXPECT_EQ(detect_file_format(write("b.fa", "@r\nACGT\n+\nIIII\n")).format, FileFormat::kFastq);
    const DetectedFormat sam = detect_file_format(write("c.fa", kSam));
    EXPECT_EQ(sam.format, FileFormat::kSam);
    EXPECT_TRUE(sam.alignments());
    EXPECT_FALSE(sam.compressed);
    const DetectedFormat vcf = detect_file_format(
        write("d", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"));
    EXPECT_EQ(vcf.format, FileFormat::kVcf);
    EXPECT_FALSE(vcf.alignments());
    const DetectedFormat gz = detect_file_format(write("e.gz", ">x\nACGT\n", true));
    EXPECT_EQ(gz.format, FileFormat::kFasta);
    EXPECT_TRUE(gz.compressed);
}

TEST(DetectFileFormat, HeaderLikeStartsAreSequenceFilesOtherTextIsDescribed) {
    // HTSlib wants sequence-like lines; a record with a stray character is still a FASTA here,
    // so its reader names the character.
    EXPECT_EQ(detect_file_format(write("f.fa", "\n>x\nAC-GT!\n")).format, FileFormat::kFasta);
    EXPECT_EQ(detect_file_format(write("g.fq", "@r\nAC GT\n+\nII\n")).format, FileFormat::kFastq);
    const DetectedFormat text = detect_file_format(write("h.txt", "nothing genomic\n"));
    EXPECT_EQ(text.format, FileFormat::kOther);
    EXPECT_EQ(text.description, "unknown text");
    EXPECT_THROW((void)detect_file_format(testing::TempDir() + "/file_format_absent"), Error);
}

TEST(AlignmentIndexAdvice, APlainSamIsSortedToBamFirst) {
    const std::string sam = write("i.sam", kSam);
    EXPECT_EQ(alignment_index_advice(sam, detect_file_format(sam)),
              "a plain SAM cannot be indexed: 'samtools sort -o OUT.bam " + sam +
                  "', then 'samtools index OUT.bam'");
    const std::string sam_gz = write("j.sam.gz", kSam, true);  // bgzip'd SAM can be indexed
    EXPECT_TRUE(detect_file_format(sam_gz).bgzf);
    EXPECT_EQ(alignment_index_advice(sam_gz, detect_file_format(sam_gz)),
              "run 'samtools index " + sam_gz + "'");
    const std::string sam_gzip = testing::TempDir() + "/file_format_k.sam.gz";
    BGZF* fp = bgzf_open(sam_gzip.c_str(), "wg");  // plain gzip
    ASSERT_TRUE(fp);
    ASSERT_EQ(bgzf_write(fp, kSam, sizeof kSam - 1), static_cast<ssize_t>(sizeof kSam - 1));
    bgzf_close(fp);
    const DetectedFormat gzip = detect_file_format(sam_gzip);
    EXPECT_TRUE(gzip.compressed);
    EXPECT_FALSE(gzip.bgzf);
    EXPECT_EQ(alignment_index_advice(sam_gzip, gzip),
              "a gzip (not bgzip) SAM cannot be indexed: 'samtools sort -o OUT.bam " + sam_gzip +
                  "', then 'samtools index OUT.bam'");
}

}  // namespace
}  // namespace dnassm
