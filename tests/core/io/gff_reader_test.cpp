// GFF3 and GTF annotations read as one feature per gene, as a genome browser's collapsed
// annotation track shows them, checked on hand-made files and on NCBI's E. coli K-12 GFF against
// the gene BED derived from it.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/error.h"
#include "dnassm/io/gff.h"

#include "test_util.h"

namespace dnassm {
namespace {

std::string listed(const std::vector<GffFeature>& features) {
    std::ostringstream s;
    for (const auto& f : features)
        s << f.region.name << '=' << f.region.contig << ':' << f.region.beg << '-' << f.region.end
          << f.region.strand << ' ';
    return s.str();
}

std::string error_of(const std::string& text) {
    try {
        (void)read_gff_features(test::temp_text_file("bad.gff3", text));
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInput);
        return e.what();
    }
    return "";
}

TEST(GffReader, Gff3GenesSpanTheirPartsWhateverTheOrder) {
    const std::string gff =
        "##gff-version 3\n"
        "##sequence-region chr1 1 10000\n"
        "chr1\tRefSeq\tregion\t1\t10000\t.\t+\t.\tID=chr1:1..10000;Name=chr1\n"
        // The exon before its mRNA, and the mRNA before its gene.
        "chr1\tRefSeq\texon\t90\t200\t.\t-\t.\tParent=rna1\n"
        "chr1\tRefSeq\tmRNA\t95\t400\t.\t-\t.\tID=rna1;Parent=gene1\n"
        "chr1\tRefSeq\tgene\t100\t400\t.\t-\t.\tID=gene1;Name=abc%3B1;locus_tag=b0001\n"
        "chr1\tRefSeq\tCDS\t300\t350\t.\t-\t0\tID=cds1;Parent=rna1\n"
        "chr1\tRefSeq\tCDS\t360\t380\t.\t-\t0\tID=cds1;Parent=rna1\n"
        "###\n"
        "chr1\tRefSeq\tpseudogene\t1000\t1100\t.\t+\t.\tID=gene2;locus_tag=b0002\n"
        "chr1\tRefSeq\trepeat_region\t2000\t2050\t.\t.\t.\tNote=REP1\n"
        "chr1\tRefSeq\tgene\t3000\t3999\t.\t?\t.\tID=gene3;Name=a%09b%zz%4\n"
        "##FASTA\n"
        ">chr1\n"
        "ACGT\n";
    const auto f = read_gff_features(test::temp_text_file("genes.gff3", gff));
    EXPECT_EQ(listed(f),
              "abc;1=chr1:89-400- b0002=chr1:999-1100+ repeat_region=chr1:1999-2050. "
              "a%09b%zz%4=chr1:2999-3999. ");
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f[0].type, "gene");
    EXPECT_EQ(f[0].line, 4);  // its exon's line: the first that touched the gene
    EXPECT_EQ(f[1].type, "pseudogene");
    EXPECT_EQ(f[2].type, "repeat_region");
}

TEST(GffReader, Gff3PartsWhoseParentIsMissingAreGroupedByIt) {
    const auto f = read_gff_features(
        test::temp_text_file("parts.gff3",
                             "c\t.\texon\t10\t20\t.\t+\t.\tParent=transcript:T1\n"
                             "c\t.\texon\t50\t60\t.\t+\t.\tParent=transcript:T1,transcript:T2\n"
                             "c\t.\texon\t70\t80\t.\t-\t.\tParent=transcript:T3\n"));
    EXPECT_EQ(listed(f), "transcript:T1=c:9-60+ transcript:T3=c:69-80- ");
    EXPECT_EQ(f[0].type, "exon");
}

TEST(GffReader, GtfLinesAreGroupedByGeneId) {
    const std::string gtf =
        "#!genome-build GRCh38\n"
        "chr17\tHAVANA\ttranscript\t200\t900\t.\t+\t.\tgene_id \"ENSG1.1\"; transcript_id "
        "\"ENST1\"; gene_name \"TP53\";\n"
        "chr17\tHAVANA\texon\t150\t300\t.\t+\t.\tgene_id \"ENSG1.1\"; transcript_id \"ENST1\"; "
        "gene_name \"TP53\";\n"
        "chr17\tHAVANA\tgene\t100\t1000\t.\t+\t.\tgene_id \"ENSG1.1\"; gene_name \"TP53\";\n"
        "chr17\tUCSC\texon\t2000\t2100\t0.5\t-\t.\tgene_id NM_1; transcript_id NM_1;\n";
    const auto f = read_gff_features(test::temp_text_file("genes.gtf", gtf));
    EXPECT_EQ(listed(f), "TP53=chr17:99-1000+ NM_1=chr17:1999-2100- ");
    EXPECT_EQ(f[1].type, "gene");
}

// A gene's exons, every transcript's merged, as [beg,end) lists, then its coding part.
std::string model_of(const GffFeature& f) {
    std::ostringstream s;
    for (const auto& [b, e] : f.model.exons) s << b << '-' << e << ' ';
    s << "thick " << f.model.thick_beg << '-' << f.model.thick_end;
    return s.str();
}

TEST(GffReader, GenesCarryTheirExonsAndCodingPart) {
    // Two transcripts whose exons overlap; a CDS split over exons under one ID; UTRs that touch
    // the CDS; an exon with its own ID; a non-coding gene; a gene line alone.
    const std::string gff =
        "##gff-version 3\n"
        "c\t.\tgene\t101\t1000\t.\t+\t.\tID=g1;Name=A\n"
        "c\t.\tmRNA\t101\t1000\t.\t+\t.\tID=t1;Parent=g1\n"
        "c\t.\texon\t101\t200\t.\t+\t.\tParent=t1\n"
        "c\t.\texon\t501\t1000\t.\t+\t.\tID=e2;Parent=t1\n"
        "c\t.\tCDS\t151\t200\t.\t+\t0\tID=cds1;Parent=t1\n"
        "c\t.\tCDS\t501\t700\t.\t+\t1\tID=cds1;Parent=t1\n"
        "c\t.\tmRNA\t101\t1000\t.\t+\t.\tID=t2;Parent=g1\n"
        "c\t.\texon\t151\t300\t.\t+\t.\tParent=t2\n"
        "c\t.\texon\t901\t1000\t.\t+\t.\tParent=t2\n"
        "c\t.\tncRNA_gene\t2001\t2500\t.\t-\t.\tID=g2\n"
        "c\t.\tlnc_RNA\t2001\t2500\t.\t-\t.\tID=t3;Parent=g2\n"
        "c\t.\texon\t2001\t2100\t.\t-\t.\tParent=t3\n"
        "c\t.\texon\t2401\t2500\t.\t-\t.\tParent=t3\n"
        "c\t.\tgene\t3001\t3100\t.\t+\t.\tID=g3\n"
        "c\t.\tgene\t4001\t4300\t.\t+\t.\tID=g4\n"
        "c\t.\tfive_prime_UTR\t4001\t4050\t.\t+\t.\tParent=g4\n"
        "c\t.\tCDS\t4051\t4250\t.\t+\t0\tParent=g4\n"
        "c\t.\tthree_prime_UTR\t4251\t4300\t.\t+\t.\tParent=g4\n";
    const auto f = read_gff_features(test::temp_text_file("models.gff3", gff));
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(model_of(f[0]), "100-300 500-1000 thick 150-700");
    EXPECT_EQ(model_of(f[1]), "2000-2100 2400-2500 thick 2000-2000");  // non-coding: all thin
    EXPECT_EQ(model_of(f[2]), "thick 3000-3100");  // a gene alone: one thick box
    EXPECT_EQ(model_of(f[3]), "4000-4300 thick 4050-4250");

    // A GTF's CDS leaves the stop codon out; the coding part takes it in.
    const std::string gtf =
        "c\t.\texon\t101\t200\t.\t-\t.\tgene_id \"G\"; transcript_id \"T\";\n"
        "c\t.\texon\t301\t400\t.\t-\t.\tgene_id \"G\"; transcript_id \"T\";\n"
        "c\t.\tCDS\t131\t200\t.\t-\t0\tgene_id \"G\"; transcript_id \"T\";\n"
        "c\t.\tCDS\t301\t350\t.\t-\t0\tgene_id \"G\"; transcript_id \"T\";\n"
        "c\t.\tstop_codon\t128\t130\t.\t-\t0\tgene_id \"G\"; transcript_id \"T\";\n"
        "c\t.\tgene\t101\t400\t.\t-\t.\tgene_id \"G\";\n";
    const auto g = read_gff_features(test::temp_text_file("models.gtf", gtf));
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(model_of(g[0]), "100-200 300-400 thick 127-350");
    // A part on another contig (trans-splicing) is left out of the model, as of the span.
    const auto t = read_gff_features(test::temp_text_file(
        "trans.gtf", gtf + "d\t.\texon\t5001\t5100\t.\t-\t.\tgene_id \"G\";\n"));
    EXPECT_EQ(model_of(t.at(0)), "100-200 300-400 thick 127-350");

    std::vector<GeneModel> models;
    const auto regions = read_gff_regions(test::temp_text_file("models.gff3", gff), {{"c", 5000}},
                                          false, nullptr, &models);
    ASSERT_EQ(models.size(), regions.size());
    EXPECT_EQ(models[3].exons, f[3].model.exons);
}

TEST(GffRegions, ContigsMapToTheirAliasesWhenAsked) {
    const std::string path =
        test::temp_text_file("ucsc.gtf",
                             "chr1\t.\texon\t11\t20\t.\t+\t.\tgene_id \"A\";\n"
                             "chrUn\t.\texon\t1\t5\t.\t+\t.\tgene_id \"B\";\n");
    std::map<std::string, std::string> aliases;
    size_t left_out = 0;
    const auto rs = read_gff_regions(path, {{"1", 100}}, true, &left_out, nullptr, &aliases);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].contig, "1");
    EXPECT_EQ(rs[0].beg, 10);
    EXPECT_EQ(left_out, 1u);  // chrUn has no alias
    EXPECT_EQ(aliases, (std::map<std::string, std::string>{{"chr1", "1"}}));
}

TEST(GffReader, ReadsCompressedFiles) {
    const std::string path =
        test::temp_compressed_file("genes.gff3.gz", "c\t.\tgene\t5\t9\t.\t+\t.\tID=g;Name=x\n");
    EXPECT_TRUE(looks_like_gff(path));
    EXPECT_EQ(listed(read_gff_features(path)), "x=c:4-9+ ");
}

TEST(GffReader, NamesTheLineAndTheProblem) {
    const std::pair<const char*, const char*> cases[] = {
        {"c\t.\tgene\t5\t9\t.\t+\n", "gff3:2: expected 9 tab-separated columns"},
        {"c .  gene 5 9 . + . ID=a\n",
         "gff3:2: expected 9 tab-separated columns (seqid, "
         "source, type, start, end, score, strand, phase, "
         "attributes), separated by tabs"},
        {"c\t.\tgene\t0\t9\t.\t+\t.\tID=a\n",
         "gff3:2: start is 0 (GFF and GTF count bases from 1)"},
        {"c\t.\tgene\t9\t5\t.\t+\t.\tID=a\n", "gff3:2: end 5 is before start 9"},
        {"c\t.\tgene\tx\t5\t.\t+\t.\tID=a\n", "gff3:2: start 'x' is not a non-negative integer"},
        {"c\t.\tgene\t1\t5\t.\tplus\t.\tID=a\n", "gff3:2: strand 'plus' is not +, -, . or ?"},
        {"\t.\tgene\t1\t5\t.\t+\t.\tID=a\n", "gff3:2: no seqid (column 1)"},
    };
    for (const auto& [line, message] : cases) {
        const std::string e = error_of(std::string("c\t.\tgene\t1\t2\t.\t+\t.\tID=z\n") + line);
        EXPECT_NE(e.find("bad.gff3:"), std::string::npos) << e;
        EXPECT_NE(e.find(message), std::string::npos) << e;
    }
    EXPECT_NE(error_of("c\t.\tgene\t1\t2\t.\t+\t.\tID=a;Parent=b\nc\t.\tgene\t1\t2\t.\t+\t.\tID=b;"
                       "Parent=a\n")
                  .find("its Parent chain leads back to itself"),
              std::string::npos);
    EXPECT_NE(error_of("c\t.\texon\t1\t2\t.\t+\t.\ttranscript_id \"t\";\n")
                  .find("gff3:1: no gene_id attribute"),
              std::string::npos);
    EXPECT_NE(error_of("##gff-version 3\n").find("no features in GFF/GTF file"), std::string::npos);
    EXPECT_NE(error_of("c\t.\tregion\t1\t200\t.\t+\t.\tID=c\n")
                  .find("only 1 whole-sequence ones, such as 'region'"),
              std::string::npos);
}

TEST(GffReader, TellsGffFromBed) {
    EXPECT_TRUE(
        looks_like_gff(test::temp_text_file("a.txt", "# c\nc\t.\tgene\t1\t2\t.\t+\t.\tID=z\n")));
    EXPECT_TRUE(looks_like_gff(test::temp_text_file("b.txt", "##gff-version 3\n")));
    EXPECT_FALSE(
        looks_like_gff(test::temp_text_file("c.txt", "c\t1\t2\tname\t0\t+\t1\t2\t0\n")));  // BED9
    EXPECT_FALSE(looks_like_gff(test::temp_text_file("d.txt", "c\t1\t2\n")));
    EXPECT_FALSE(looks_like_gff(testing::TempDir() + "/absent.txt"));
    EXPECT_FALSE(looks_like_gff("-"));
    // By name, whatever it holds: a malformed GTF (pysam's space-separated test file) is then
    // named as a GTF with the wrong columns, not as a BED whose start is 'ENSEMBL'.
    const std::string spaced = test::temp_compressed_file(
        "spaced.gtf.gz", "chr1 ENSEMBL exon 1737 2090 . + . gene_id \"G\";\n");
    EXPECT_TRUE(looks_like_gff(spaced));
    EXPECT_TRUE(looks_like_gff(testing::TempDir() + "/absent.GFF3"));
    try {
        (void)read_region_file(spaced, {{"chr1", 5000}});
        ADD_FAILURE() << "read";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  spaced +
                      ":1: expected 9 tab-separated columns (seqid, source, type, start, end, "
                      "score, strand, phase, attributes), separated by tabs");
    }
}

TEST(GffRegions, ResolvesAgainstContigsOrLeavesUnknownOnesOut) {
    const std::string path = test::temp_text_file("two.gff3",
                                                  "c\t.\tgene\t5\t9\t.\t+\t.\tID=g;Name=x\n"
                                                  "chrUn\t.\tgene\t5\t9\t.\t+\t.\tID=h;Name=y\n");
    const std::vector<Contig> contigs = {{"c", 100}};
    try {
        (void)read_region_file(path, contigs);
        ADD_FAILURE() << "an unknown contig is an error for -R";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("two.gff3:2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("chrUn"), std::string::npos) << e.what();
    }
    size_t left_out = 9;
    const auto r = read_gff_regions(path, contigs, true, &left_out);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].tid, 0);
    EXPECT_EQ(r[0].name, "x");
    EXPECT_EQ(left_out, 1u);
    // None on the genome's contigs: the first one's error, with the naming hint.
    EXPECT_THROW((void)read_gff_regions(path, {{"1", 100}}, true, &left_out), Error);
    // A BED given as -R is still read as BED.
    const auto bed = read_region_file(test::temp_text_file("r.bed", "c\t4\t9\tx\n"), contigs);
    EXPECT_EQ(bed.at(0).beg, 4);
}

// NCBI's own annotation of E. coli K-12 against ../shared/data's gene BED, which was derived from
// it: every gene and pseudogene there, with its coordinates and strand, is one of our features.
TEST(GffReader, NcbiEcoliGenesMatchTheGeneBed) {
    const std::string dir = test::shared_data_dir() + "/ecoli_k12_mg1655";
    const std::string gff = dir + "/GCF_000005845.2_ASM584v2_genomic.gff.gz";
    if (!std::ifstream(gff)) GTEST_SKIP() << gff << " absent (../shared/data)";
    ASSERT_TRUE(looks_like_gff(gff));
    std::map<std::pair<std::int64_t, std::int64_t>, char> ours;
    size_t genes = 0;
    for (const auto& f : read_gff_features(gff)) {
        EXPECT_EQ(f.region.contig, "NC_000913.3");
        ours[{f.region.beg, f.region.end}] = f.region.strand;
        genes += f.type == "gene" || f.type == "pseudogene";
    }
    std::ifstream bed(dir + "/ecoli_k12_mg1655.genes.bed");
    std::string contig, name, score;
    std::int64_t beg = 0, end = 0;
    char strand = 0;
    size_t lines = 0;
    while (bed >> contig >> beg >> end >> name >> score >> strand) {
        ++lines;
        const auto it = ours.find({beg, end});
        ASSERT_NE(it, ours.end()) << name << " " << beg << "-" << end;
        EXPECT_EQ(it->second, strand) << name;
    }
    EXPECT_EQ(lines, 4494u);
    EXPECT_GE(genes, lines);
}

// Every CDS of ../shared/data's CDS BED (also from NCBI's annotation) lies in the coding part and
// in one exon of a gene; tRNA, rRNA and ncRNA genes have exons and no coding part.
TEST(GffReader, NcbiEcoliCodingPartsHoldTheCdsBed) {
    const std::string dir = test::shared_data_dir() + "/ecoli_k12_mg1655";
    const std::string gff = dir + "/GCF_000005845.2_ASM584v2_genomic.gff.gz";
    if (!std::ifstream(gff)) GTEST_SKIP() << gff << " absent (../shared/data)";
    const auto features = read_gff_features(gff);
    std::multimap<std::int64_t, const GffFeature*> by_beg;
    size_t non_coding = 0;
    for (const auto& f : features) {
        by_beg.emplace(f.region.beg, &f);
        non_coding += !f.model.exons.empty() && f.model.thick_beg == f.model.thick_end;
    }
    EXPECT_GE(non_coding, 150u);  // 86 tRNA, 22 rRNA, 99 ncRNA, some in one gene each
    std::ifstream bed(dir + "/ecoli_k12_mg1655.cds.bed");
    std::string contig, name, score;
    std::int64_t beg = 0, end = 0;
    char strand = 0;
    size_t lines = 0;
    while (bed >> contig >> beg >> end >> name >> score >> strand) {
        ++lines;
        bool found = false;
        // The genes starting at or before it (a CDS of a gene that starts earlier: a leader).
        for (auto it = by_beg.upper_bound(beg); it != by_beg.begin() && !found;) {
            const GffFeature& f = *(--it)->second;
            if (f.region.end < end) continue;
            const GeneModel& m = f.model;
            found = m.thick_beg <= beg && end <= m.thick_end &&
                    std::any_of(m.exons.begin(), m.exons.end(),
                                [&](const auto& x) { return x.first <= beg && end <= x.second; });
            if (beg - it->first > 100000) break;
        }
        EXPECT_TRUE(found) << name << " " << beg << "-" << end;
    }
    EXPECT_EQ(lines, 4337u);
}

}  // namespace
}  // namespace dnassm
