#include "dnassm/io/sequence_input.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <htslib/sam.h>

#include "dnassm/error.h"

#include "test_util.h"

namespace dnassm {
namespace {

namespace fs = std::filesystem;

std::vector<SequenceRecord> all(SequenceInput& in, const std::vector<Region>& regions = {}) {
    std::vector<SequenceRecord> out;
    in.for_each(regions, [&](SequenceRecord& r) { out.push_back(r); });
    return out;
}

TEST(SequenceInput, PlainFastaIndexedOnDemand) {
    const std::string fa =
        test::temp_text_file("two.fa", ">c1 desc\nACGTACGTAC\nGT\n>c2\nNNNNacgt\n");
    fs::remove(fa + ".fai");
    auto in = SequenceInput::open(fa);
    EXPECT_TRUE(fs::exists(fa + ".fai")) << "faidx index should be built next to the file";
    ASSERT_EQ(in->contigs().size(), 2u);
    EXPECT_EQ(in->contigs()[0].length, 12);
    auto recs = all(*in, parse_regions({"c1:3-5", "c2"}, in->contigs()));
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].seq, "GTA");
    EXPECT_EQ(recs[0].name, "c1:3-5");
    EXPECT_EQ(recs[1].seq, "NNNNacgt");
}

TEST(SequenceInput, StrandedReadsMinusStrandIntervalsAsTheirReverseComplement) {
    const std::string fa = test::temp_text_file("strand.fa", ">c1\nAACGTRYKMBVDHSWNacgtTT\n");
    auto regions =
        parse_regions({"c1:3-20", "c1:3-20", "c1:3-20"}, SequenceInput::open(fa)->contigs());
    regions[0].strand = '-';
    regions[1].strand = '+';
    InputOptions stranded;
    stranded.stranded = true;
    auto recs = all(*SequenceInput::open(fa, stranded), regions);
    ASSERT_EQ(recs.size(), 3u);
    // CGTRYKMBVDHSWNacgt reversed and complemented, IUPAC codes and case kept.
    EXPECT_EQ(recs[0].seq, "acgtNWSDHBVKMRYACG");
    EXPECT_EQ(recs[0].name, "c1:3-20(-)");  // bedtools getfasta -s
    EXPECT_EQ(recs[0].region.strand, '-');
    EXPECT_EQ(recs[0].region.beg, 2);
    EXPECT_EQ(recs[1].seq, "CGTRYKMBVDHSWNacgt");
    EXPECT_EQ(recs[1].name, "c1:3-20");
    EXPECT_EQ(recs[2].seq, recs[1].seq);
    // Without --stranded every interval is read as the forward strand, and says so.
    recs = all(*SequenceInput::open(fa), regions);
    EXPECT_EQ(recs[0].seq, "CGTRYKMBVDHSWNacgt");
    EXPECT_EQ(recs[0].name, "c1:3-20");
    EXPECT_EQ(recs[0].region.strand, '.');
}

TEST(SequenceInput, BgzfLambdaWithIndex) {
    auto in = SequenceInput::open(test::data_dir() + "/../../data/lambda/lambda_virus.fa.gz");
    ASSERT_EQ(in->contigs().size(), 1u);
    EXPECT_EQ(in->contigs()[0].name, "NC_001416.1");
    EXPECT_EQ(in->contigs()[0].length, 48502);
    auto recs = all(*in, parse_regions({"NC_001416.1:1-10"}, in->contigs()));
    EXPECT_EQ(recs.at(0).seq, "GGGCGGCGAC");
}

TEST(SequenceInput, PlainGzipFallsBackToMemory) {
    // A gzip (not BGZF) file: faidx cannot index it, so records are read into memory.
    const std::string path = test::temp_compressed_file("plain.fa.gz", ">x\nACGTTGCA\n", "wg");
    auto in = SequenceInput::open(path);
    auto recs = all(*in, parse_regions({"x:2-4"}, in->contigs()));
    EXPECT_EQ(recs.at(0).seq, "CGT");
}

TEST(SequenceInput, Fastq) {
    const std::string fq = test::temp_text_file("r.fq", "@r1\nACGT\n+\nIIII\n@r2\nGG\n+\nII\n");
    auto in = SequenceInput::open(fq);
    EXPECT_EQ(in->format(), InputFormat::kFastq);
    auto recs = all(*in);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[1].name, "r2");
    EXPECT_EQ(recs[1].seq, "GG");
    // A read is not a reference interval: outputs give it no coordinates.
    EXPECT_TRUE(recs[1].region.contig.empty());
    EXPECT_EQ(recs[1].region.tid, -1);
    EXPECT_THROW(all(*in, {Region{"r1", 0, 2, 0, {}}}), Error);
}

TEST(SequenceInput, CsvTableRowsAreRecordsWithTheirLabels) {
    const std::string csv =
        test::temp_text_file("rows.csv", "label,sequence,id\na,ACGT,x1\nb,ggN,x2\n");
    auto in = SequenceInput::open(csv);
    EXPECT_EQ(in->format(), InputFormat::kTable);
    ASSERT_EQ(in->contigs().size(), 2u);  // rows listed at open, for --shard and progress
    EXPECT_EQ(in->contigs()[1].name, "x2");
    EXPECT_EQ(in->contigs()[1].length, 3);
    auto recs = all(*in);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ((std::vector<std::string>{recs[1].name, recs[1].seq, recs[1].label}),
              (std::vector<std::string>{"x2", "ggN", "b"}));
    EXPECT_TRUE(recs[0].region.contig.empty());
    // Rows have no coordinates to select.
    EXPECT_THROW(all(*in, {Region{"x1", 0, 2, 0, {}}}), Error);
    // No label column: rows without labels (what embed and predict read).
    recs = all(*SequenceInput::open(test::temp_text_file("seqs.csv", "sequence\nAC\n")));
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].name, "1");
    EXPECT_TRUE(recs[0].label.empty());
}

TEST(SequenceInput, GenomicBenchmarksFolderRowsKeepTheirIntervals) {
    const std::string dir = testing::TempDir() + "/gb_input";
    fs::remove_all(dir);
    fs::create_directories(dir + "/neg");
    std::ofstream(dir + "/neg/s1.txt") << "TTTT\n";
    std::ofstream(dir + "/pos.csv") << "id,region,start,end,strand\n7,c1,2,6,-\n";
    const std::string fa = test::temp_text_file("gb_input_ref.fa", ">c1\nAACCGGTTAC\n");
    InputOptions opts;
    opts.reference = fa;
    auto recs = all(*SequenceInput::open(dir, opts));
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ((std::vector<std::string>{recs[0].name, recs[0].seq, recs[0].label}),
              (std::vector<std::string>{"s1", "TTTT", "neg"}));
    EXPECT_EQ((std::vector<std::string>{recs[1].name, recs[1].seq, recs[1].label}),
              (std::vector<std::string>{"7", "CCGG", "pos"}));
    EXPECT_EQ(recs[1].region.label(), "c1:3-6");
    EXPECT_EQ(recs[1].region.strand, '-');
    try {
        (void)SequenceInput::open(dir);
        ADD_FAILURE() << "an interval list without -T";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs -T/--reference"), std::string::npos)
            << e.what();
    }
}

TEST(SequenceInput, BadFilesAreClearErrors) {
    auto msg = [](const std::string& path) -> std::string {
        try {
            auto in = SequenceInput::open(path);
            all(*in);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(msg("/nonexistent.fa").find("/nonexistent.fa: no such file"), std::string::npos);
    EXPECT_NE(msg(test::temp_text_file("empty.fa", "")).find("empty file"), std::string::npos);
    const std::string folder = testing::TempDir() + "/no_classes";
    fs::remove_all(folder);
    fs::create_directories(folder);  // read as a GenomicBenchmarks folder; it has no classes
    EXPECT_NE(msg(folder).find("no_classes: no classes"), std::string::npos) << msg(folder);
    EXPECT_NE(msg("/nonexistent.csv").find("/nonexistent.csv: no such file"), std::string::npos);
    const std::string junk = test::temp_text_file("junk.fa", "this is not a fasta file\n");
    EXPECT_NE(msg(junk).find("junk.fa"), std::string::npos);
}

std::string open_error(const std::string& path) {
    try {
        (void)SequenceInput::open(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Records sharing a name (reads: `samtools fasta -n` writes mates so) make a FASTA a set of
// reads, read record by record as a FASTQ is; faidx, which would keep only the first, is not
// used. It is then no reference: a region naming a repeated name is refused, and commands that
// need one say why (reference_problem). Plain, BGZF and gzip, wherever the repeat is.
TEST(SequenceInput, RepeatedNamesMakeAFastaASetOfReads) {
    for (const std::string text : {">a\nACGT\n>b\nGG\n>a\nTTTT\n", ">a\nACGT\n>a\nTT\n>b\nGG\n",
                                   ">x\nAC\n>a\nACGT\nAC\n>a\nTT\n>b\nGG\n"}) {
        std::vector<std::string> files = {
            test::temp_text_file("dup.fa", text),
            test::temp_compressed_file("dup.fa.gz", text, "w"),
            test::temp_compressed_file("dup_plain.fa.gz", text, "wg")};
        for (const auto& f : files)
            for (const char* ext : {".fai", ".gzi"}) fs::remove(f + ext);
        for (const auto& f : files) {
            auto in = SequenceInput::open(f);
            EXPECT_EQ(in->format(), InputFormat::kFasta);
            std::string names;
            for (const auto& r : all(*in)) names += r.name + "=" + r.seq + " ";
            std::string expected;
            for (size_t at = 0; (at = text.find('>', at)) != std::string::npos; ++at) {
                const size_t eol = text.find('\n', at);
                size_t next = text.find('>', eol);
                if (next == std::string::npos) next = text.size();
                std::string seq = text.substr(eol + 1, next - eol - 1);
                std::erase(seq, '\n');
                expected += text.substr(at + 1, eol - at - 1) + "=" + seq + " ";
            }
            EXPECT_EQ(names, expected) << f;  // every record, in file order
            EXPECT_NE(in->reference_problem().find("'a' names more than one record"),
                      std::string::npos)
                << in->reference_problem();
            try {
                require_reference(*in, "per-base tracks are in reference coordinates");
                ADD_FAILURE() << f << ": taken as a reference";
            } catch (const Error& e) {
                EXPECT_EQ(e.kind(), ErrorKind::kUsage);
                EXPECT_NE(std::string(e.what()).rfind(f + ": 'a' names more than one record", 0),
                          std::string::npos)
                    << e.what();
            }
            const auto regions = parse_regions({"a:1-2"}, in->contigs());
            try {
                in->for_each(regions, [](SequenceRecord&) {});
                ADD_FAILURE() << f << ": a region took one of two records named 'a'";
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("so a region cannot say which"),
                          std::string::npos)
                    << e.what();
            }
            std::string b;
            in->for_each(parse_regions({"b"}, in->contigs()),
                         [&](SequenceRecord& r) { b = r.seq; });
            EXPECT_EQ(b, "GG");  // a name used once is still a region
        }
    }
    // A FASTA with one record per name is a reference.
    const std::string ok = test::temp_text_file("unique.fa", ">a\nACGT\n>b\nGG\n");
    fs::remove(ok + ".fai");
    EXPECT_EQ(SequenceInput::open(ok)->reference_problem(), "");
}

TEST(SequenceInput, FastqReadsMayShareAName) {
    // Interleaved mates share a name; each is a record, in order, as a BAM's reads are.
    const std::string fq =
        test::temp_text_file("mates.fq", "@p 1:N:0\nACGT\n+\nIIII\n@p 2:N:0\nGG\n+\nII\n");
    const auto recs = all(*SequenceInput::open(fq));
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].name, "p");
    EXPECT_EQ(recs[1].name, "p");
    EXPECT_EQ(recs[1].seq, "GG");
}

TEST(SequenceInput, RecordsWithoutBasesAreLeftOutAndCounted) {
    // faidx leaves a header without sequence lines out of its index; so do the readers, first,
    // middle or last, LF or CRLF, indexed or read into memory (stdin and FASTQ take that path).
    for (const std::string eol : {"\n", "\r\n"}) {
        const std::string text = ">e1 first\n>a\nACGT\nAC\n>e2\n\n>b\nGG\n>e3\n";
        std::string with_eol;
        for (char c : text) with_eol += c == '\n' ? eol : std::string(1, c);
        const std::string fa = test::temp_text_file("no_bases.fa", with_eol);
        fs::remove(fa + ".fai");
        const auto in = SequenceInput::open(fa);
        ASSERT_EQ(in->contigs().size(), 2u);
        EXPECT_EQ(in->contigs()[1].name, "b");
        EXPECT_EQ(in->empty_records().count, 3);
        EXPECT_EQ(in->empty_records().first, "e1");
        const auto recs = all(*in);
        ASSERT_EQ(recs.size(), 2u);
        EXPECT_EQ(recs[0].seq, "ACGTAC");
    }
    const std::string fq =
        test::temp_text_file("no_bases.fq", "@r1\nACGT\n+\nIIII\n@r2\n\n+\n\n@r3\nGG\n+\nII\n");
    const auto in = SequenceInput::open(fq);
    EXPECT_EQ(all(*in).size(), 2u);
    EXPECT_EQ(in->empty_records().count, 1);
    EXPECT_EQ(in->empty_records().first, "r2");
    const std::string none = test::temp_text_file("none.fa", ">x\n>y\n");
    fs::remove(none + ".fai");
    EXPECT_NE(open_error(none).find("none.fa: no sequences (2 records, none with bases)"),
              std::string::npos)
        << open_error(none);
    // A record with bases that the index lacks is found wherever the empty ones are: here a
    // repeated name, so the file is read as reads, its empty records still left out and counted.
    const std::string dup =
        test::temp_text_file("dup_after_empty.fa", ">e\n>a\nACGT\n>e2\n>a\nTT\n");
    fs::remove(dup + ".fai");
    auto reads = SequenceInput::open(dup);
    EXPECT_EQ(all(*reads).size(), 2u);
    EXPECT_EQ(reads->empty_records().count, 2);
    EXPECT_NE(reads->reference_problem(), "");
}

TEST(SequenceInput, IndexCheckReadsAShortLastLineByItsBases) {
    // samtools' dat/dict.fa: a tab inside each full line (faidx counts 52 bytes for 50 bases) but
    // not in the short last one. The check counts that line's bases, not its bytes.
    const std::string fa =
        test::temp_text_file("tabs.fa", ">a\nACGT\tAC\nACGT\tAC\nGGT\n>b\nTTTT\n");
    fs::remove(fa + ".fai");
    const auto recs = all(*SequenceInput::open(fa));
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].seq, "ACGTACACGTACGGT");
    // A short last line that grew after indexing is still an index out of date.
    const std::string grown = test::temp_text_file("grown.fa", ">a\nACGT\nAC\n>b\nGG\n");
    fs::remove(grown + ".fai");
    (void)SequenceInput::open(grown);  // builds the index
    std::ofstream(grown) << ">a\nACGT\nACG\n>b\nGG\n";
    EXPECT_NE(open_error(grown).find("an index out of date"), std::string::npos)
        << open_error(grown);
}

TEST(SequenceInput, IndexOlderThanTheFileIsRefused) {
    const std::string fa = test::temp_text_file("stale.fa", ">a\nACGT\n");
    fs::remove(fa + ".fai");
    (void)SequenceInput::open(fa);  // builds the index
    std::ofstream(fa, std::ios::app) << ">b\nGGGG\n";
    EXPECT_NE(open_error(fa).find("an index out of date: delete it to have it rebuilt"),
              std::string::npos);
}

TEST(SequenceInput, WellFormedLayoutsPassTheIndexCheck) {
    // CRLF line breaks, blank lines between records, a last line without a line break, lines
    // of full width, an empty record.
    for (const std::string text : {">a desc\r\nACGT\r\nAC\r\n\r\n>b\r\nGGGG\r\n",
                                   ">a\nACGT\nACGT\n>b\nGG", ">a\n>b\nACG\n\n\n>c x y\nT\n"}) {
        const std::string fa = test::temp_text_file("ok.fa", text);
        fs::remove(fa + ".fai");
        EXPECT_EQ(open_error(fa), "") << text;
        EXPECT_EQ(open_error(fa), "") << text << " (index present)";
    }
}

TEST(SequenceInput, BamReadsWithRegionAndMapqFilter) {
    const std::string bam = test::shared_data_dir() + "/bam/pysam_ex1/ex1.bam";
    if (!fs::exists(bam)) GTEST_SKIP() << "skipped: " << bam << " absent (../shared/data)";
    InputOptions opts;
    auto in = SequenceInput::open(bam, opts);
    EXPECT_EQ(in->format(), InputFormat::kAlignments);
    ASSERT_EQ(in->contigs().size(), 2u);
    const auto everything = all(*in);
    EXPECT_EQ(everything.size(), 3270u);
    auto region = parse_regions({in->contigs()[0].name + ":100-200"}, in->contigs());
    const auto in_region = all(*in, region);
    EXPECT_GT(in_region.size(), 0u);
    int unplaced = 0;  // unmapped mates at their mate's position: no span of their own
    for (const auto& r : in_region) {
        EXPECT_FALSE(r.seq.empty());
        if (r.region.tid < 0) {
            EXPECT_TRUE(r.region.contig.empty());
            ++unplaced;
            continue;
        }
        EXPECT_LT(r.region.beg, 200);
        EXPECT_GE(r.region.end, 100);
    }
    EXPECT_GT(unplaced, 0);
    opts.filter.min_mapq = 60;
    auto strict = SequenceInput::open(bam, opts);
    EXPECT_LT(all(*strict, region).size(), in_region.size());
}

// An indexed BAM written from SAM text through HTSlib (as 'samtools view -b' and 'samtools index').
std::string indexed_bam(const std::string& name, const std::string& sam_text) {
    const std::string sam = testing::TempDir() + "/" + name + ".sam",
                      bam = testing::TempDir() + "/" + name + ".bam";
    std::ofstream(sam) << sam_text;
    samFile* in = sam_open(sam.c_str(), "r");
    samFile* out = sam_open(bam.c_str(), "wb");
    sam_hdr_t* hdr = sam_hdr_read(in);
    EXPECT_EQ(sam_hdr_write(out, hdr), 0);
    bam1_t* b = bam_init1();
    while (sam_read1(in, hdr, b) >= 0) EXPECT_GE(sam_write1(out, hdr, b), 0);
    bam_destroy1(b);
    sam_hdr_destroy(hdr);
    sam_close(in);
    sam_close(out);
    EXPECT_EQ(sam_index_build(bam.c_str(), 0), 0);
    return bam;
}

// samtools' region "*": the reads without a position, which sort to the end of a BAM; an
// unmapped mate placed at its mate's position is in its contig's region, not in "*".
TEST(SequenceInput, StarRegionIsTheUnplacedReads) {
    const std::string bam = indexed_bam("unplaced",
                                        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:ref\tLN:100\n"
                                        "placed\t0\tref\t5\t60\t4M\t*\t0\t0\tACGT\t*\n"
                                        "mate\t4\tref\t5\t0\t*\t=\t5\t0\tGGCC\t*\n"
                                        "nowhere\t4\t*\t0\t0\t*\t*\t0\t0\tTTAA\t*\n");
    auto in = SequenceInput::open(bam, InputOptions{});
    auto names = [&](const std::vector<std::string>& specs) {
        std::string out;
        for (const auto& r : all(*in, parse_regions(specs, in->contigs(), RegionsOf::kReads)))
            out += r.name + (r.region.tid < 0 ? "(unplaced) " : " ");
        return out;
    };
    EXPECT_EQ(names({"*"}), "nowhere(unplaced) ");
    EXPECT_EQ(names({"ref"}), "placed mate(unplaced) ");
    EXPECT_EQ(names({"ref:1-3", "*"}), "nowhere(unplaced) ");
    EXPECT_EQ(all(*in).size(), 3u);  // from the first record, after the queries
    EXPECT_EQ(all(*in).size(), 3u);  // and again

    // A FASTA's regions are parsed as a reference's; a "*" made for reads is refused there.
    const std::string fa = testing::TempDir() + "/star.fa";
    std::ofstream(fa) << ">ref\nACGTACGT\n";
    auto fasta = SequenceInput::open(fa, InputOptions{});
    EXPECT_THROW((void)parse_regions({"*"}, fasta->contigs()), Error);
    try {
        (void)all(*fasta, parse_regions({"*"}, fasta->contigs(), RegionsOf::kReads));
        ADD_FAILURE() << "a FASTA took region '*'";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUsage);
        EXPECT_EQ(std::string(e.what()),
                  fa + ": region '*' selects unplaced reads, which a FASTA has none of");
    }
}

// A caller may stop a region query by throwing (a writer that takes one record refuses the
// second): the query's iterator is freed (the ASan build's leak check) and the input reads on.
TEST(SequenceInput, BamRegionQueryStoppedByAThrowLeavesTheInputUsable) {
    const std::string bam = test::shared_data_dir() + "/bam/pysam_ex1/ex1.bam";
    if (!fs::exists(bam)) GTEST_SKIP() << "skipped: " << bam << " absent (../shared/data)";
    auto in = SequenceInput::open(bam, InputOptions{});
    const auto region = parse_regions({in->contigs()[0].name + ":100-200"}, in->contigs());
    int seen = 0;
    EXPECT_THROW(in->for_each(region,
                              [&](SequenceRecord&) {
                                  if (++seen == 2) throw Error(ErrorKind::kUsage, "one only");
                              }),
                 Error);
    EXPECT_EQ(seen, 2);
    EXPECT_GT(all(*in, region).size(), 1u);
}

}  // namespace
}  // namespace dnassm
