// dnassm score: variant effect scores from a VCF/BCF (HTSlib) against a reference FASTA.
// For every ALT allele (multi-allelic records are split) a window of --score-window bases centred
// on the variant is taken from the reference, and the same window with REF replaced by ALT:
//   llr      causal LMs: Σ ln p(base | left context) over the ALT window minus the same over the
//            REF window (ACGT-renormalised, as predict's loglik); masked LMs (Caduceus): the
//            masked marginal, Σ ln p(ALT base) − Σ ln p(REF base) with the differing bases
//            masked (SNVs: ln p(ALT) − ln p(REF) at the variant; see variant_scorer.cpp)
//   emb_l2, emb_cos  L2 and cosine distance between the mean-pooled hidden states of the windows
// --rc averages each score with the one computed on the reverse-complement windows. Records
// whose REF does not match the FASTA or reaches past the window or the contig, symbolic/missing
// ALTs, ALTs too long for a model's limit and contigs absent from the FASTA are reported on stderr
// and skipped (when every record is, score fails and writes nothing); -r/-R keep the records
// whose REF overlaps a region. Output: TSV (CHROM POS REF ALT llr emb_l2 emb_cos) or, for
// .vcf/.vcf.gz/.bcf, the input records with INFO DNASSM_LLR, DNASSM_EMB_L2, DNASSM_EMB_COS
// (Number=A).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include <unistd.h>

#include <htslib/faidx.h>
#include <htslib/vcf.h>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/contig_hint.h"
#include "dnassm/io/score_fields.h"
#include "dnassm/io/variant_spec.h"
#include "dnassm/io/vcf_reader.h"
#include "dnassm/messages.h"
#include "dnassm/record_batches.h"

#include "commands.h"
#include "common.h"
#include "variant_scorer.h"

namespace dnassm::app {

namespace {

// What a VCF output's header adds to the input's: the FASTA's contigs it does not declare, with
// their lengths (as `bcftools reheader --fai`: a VCF without ##contig lines still makes a BCF whose
// records name them), the scores' INFO lines and, unless `command` is empty, the provenance.
void extend_output_header(bcf_hdr_t* hdr, const faidx_t* fai, const std::string& command) {
    for (int i = 0; i < faidx_nseq(fai); ++i) {
        const char* name = faidx_iseq(fai, i);
        if (bcf_hdr_name2id(hdr, name) >= 0) continue;
        std::ostringstream line;
        line << "##contig=<ID=" << name << ",length=" << faidx_seq_len(fai, name) << '>';
        bcf_hdr_append(hdr, line.str().c_str());
    }
    for (const ScoreField& f : kScoreFields)
        bcf_hdr_append(hdr, (std::string("##INFO=<ID=") + f.info_id +
                             ",Number=A,Type=Float,Description=\"" + f.description + "\">")
                                .c_str());
    // Provenance, as bcftools records its own version and command line.
    if (!command.empty()) {
        bcf_hdr_append(hdr, ("##dnassmVersion=" DNASSM_VERSION));
        bcf_hdr_append(hdr, ("##dnassmCommand=" + command).c_str());
    }
    DNASSM_CHECK(bcf_hdr_sync(hdr) == 0, ErrorKind::kResource, "out of memory");
}

// Says (once per contig, a few contigs at most) where the VCF header's ##contig lengths differ from
// the FASTA's: a VCF called against another assembly, whose records would then fail REF checks or,
// worse, pass them by chance.
void note_other_assembly(const std::string& vcf_path,
                         const bcf_hdr_t* hdr,
                         const faidx_t* fai,
                         const std::string& fasta_path) {
    const int kNamed = 3;
    int differ = 0;
    for (int i = 0; i < hdr->n[BCF_DT_CTG]; ++i) {
        const char* name = bcf_hdr_id2name(hdr, i);
        bcf_hrec_t* hrec = bcf_hdr_get_hrec(hdr, BCF_HL_CTG, "ID", name, nullptr);
        const int key = hrec ? bcf_hrec_find_key(hrec, "length") : -1;
        if (key < 0 || !faidx_has_seq(fai, name)) continue;
        const long long declared = std::strtoll(hrec->vals[key], nullptr, 10);
        const long long actual = faidx_seq_len(fai, name);
        if (declared <= 0 || declared == actual) continue;
        if (++differ <= kNamed)
            note(
                "dnassm score: %s: contig %s is %lld bases in the VCF header but %lld in %s "
                "(called against another assembly?)\n",
                vcf_path.c_str(), name, declared, actual, fasta_path.c_str());
    }
    if (differ > kNamed)
        note("dnassm score: %s: ... and %d more contigs differ in length\n", vcf_path.c_str(),
             differ - kNamed);
}

// --variant: the variants as a VCF in a temporary file, removed when done, so they take a file's
// path through score (its contigs undeclared: HTSlib learns them as it reads, as from any VCF
// without ##contig lines).
class VariantsAsVcf {
  public:
    explicit VariantsAsVcf(const std::vector<std::string>& specs) {
        std::string text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        for (const std::string& spec : specs) {
            const VariantSpec v = parse_variant_spec(spec);
            std::string alts;
            for (const std::string& a : v.alts) alts += (alts.empty() ? "" : ",") + a;
            text += v.contig + "\t" + std::to_string(v.pos) + "\t.\t" + v.ref + "\t" + alts +
                    "\t.\t.\t.\n";
        }
        std::string name =
            (std::filesystem::temp_directory_path() / "dnassm-variants-XXXXXX").string();
        const int fd = mkstemp(name.data());
        DNASSM_CHECK(fd >= 0, ErrorKind::kResource,
                     name + ": cannot create a temporary file for --variant");
        path_ = name;
        const bool written =
            write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        DNASSM_CHECK(close(fd) == 0 && written, ErrorKind::kResource,
                     path_ + ": cannot write a temporary file for --variant (disk full?)");
    }
    ~VariantsAsVcf() {
        if (!path_.empty()) std::remove(path_.c_str());
    }
    VariantsAsVcf(const VariantsAsVcf&) = delete;
    VariantsAsVcf& operator=(const VariantsAsVcf&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// An allele as messages show it: long ones by their first bases and length.
std::string shown(const std::string& allele) {
    return allele.size() <= 24
               ? allele
               : allele.substr(0, 12) + "...(" + std::to_string(allele.size()) + " bp)";
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// One ALT allele of a record: its REF and ALT windows as tokens, and (once run) its scores.
struct Allele {
    size_t k;  // ALT index - 1
    std::string alt;
    std::vector<std::int32_t> ref_ids, alt_ids;
    Edit edit;  // where the windows differ
    Scores sc;
};

// The reference window around a record and how its alleles are cut from it.
struct VariantWindow {
    std::string bases;   // the REF window (the contig's bases around the variant)
    std::int64_t off;    // where REF starts in it
    std::int64_t limit;  // the model's longest input; 0: none
};

// The alleles of `rec` (REF `ref`) that can be scored in `w`; each one that cannot goes to
// `skip` with the reason. `longest` receives the longest window cut.
std::vector<Allele> cut_alleles(const bcf1_t* rec,
                                const std::string& ref,
                                const VariantWindow& w,
                                const CharTokenizer& tok,
                                const std::string& where,
                                const std::function<void(const std::string&, int)>& skip,
                                std::int64_t& longest) {
    std::vector<Allele> alleles;
    const auto size = static_cast<std::int64_t>(w.bases.size());
    const auto reach = w.off + static_cast<std::int64_t>(ref.size());
    if (reach > size) {
        skip(where + ": REF of " + std::to_string(ref.size()) +
                 " bases reaches past the --score-window around it",
             rec->n_allele - 1);
        return alleles;
    }
    for (int a = 1; a < rec->n_allele; ++a) {
        const std::string alt = upper(rec->d.allele[a]);
        if (alt.empty() || alt[0] == '<' || alt == "*" || alt == "." ||
            alt.find_first_of("[]") != std::string::npos) {
            skip(where + " " + shown(alt) + ": symbolic or missing ALT", 1);
            continue;
        }
        if (const auto bad = alt.find_first_not_of("ACGTN"); bad != std::string::npos) {
            skip(where + " " + shown(alt) + ": ALT holds '" + alt.substr(bad, 1) +
                     "', not a base (A, C, G, T or N)",
                 1);
            continue;
        }
        std::string ref_win = w.bases;
        std::string alt_win = ref_win.substr(0, static_cast<size_t>(w.off)) + alt +
                              ref_win.substr(static_cast<size_t>(reach));
        // An insertion can make the ALT window longer than a model with a limit takes: both
        // windows then lose that many bases on the right of the variant.
        const std::int64_t over =
            w.limit > 0 ? static_cast<std::int64_t>(alt_win.size()) - w.limit : 0;
        if (over > size - reach) {
            skip(where + " " + shown(alt) + ": ALT of " + std::to_string(alt.size()) +
                     " bases does not fit in the model's limit of " + std::to_string(w.limit) +
                     " bases",
                 1);
            continue;
        }
        if (over > 0) {
            ref_win.resize(ref_win.size() - static_cast<size_t>(over));
            alt_win.resize(alt_win.size() - static_cast<size_t>(over));
        }
        Allele al{static_cast<size_t>(a - 1), alt, {}, {}, {}, {}};
        TokenizeStats st;
        tok.encode(ref_win, al.ref_ids, st, where);
        tok.encode(alt_win, al.alt_ids, st, where);
        al.edit = differing_span(al.ref_ids, al.alt_ids);
        longest =
            std::max(longest, static_cast<std::int64_t>(std::max(ref_win.size(), alt_win.size())));
        alleles.push_back(std::move(al));
    }
    return alleles;
}

}  // namespace

int cmd_score(int argc, char** argv) {
    CommonOptions o;
    std::string vcf_path;
    std::vector<std::string> variant_specs;
    std::int64_t window = 1024;
    bool write_index = false, no_provenance = false;
    po::options_description desc("dnassm score options");
    add_common_options(desc, o, OptionsFor::kVariantScoring);
    add_write_index_option(desc, write_index);
    add_provenance_option(desc, no_provenance);
    // clang-format off
    desc.add_options()
        ("vcf", po::value(&vcf_path), "variants (VCF, VCF.gz or BCF; HTSlib)")
        ("variant", po::value(&variant_specs)->composing(),
         "a variant to score instead of --vcf's: chr:pos:REF>ALT (or chr:pos:REF:ALT, 'chr:pos "
         "REF>ALT'; "
         "1-based; ALT may be several, A>C,G); repeatable")
        ("score-window", po::value(&window)->default_value(1024),
         "bases of reference around each variant (centred)");
    // clang-format on
    if (!parse_command_line(
            argc, argv,
            "dnassm score -m MODEL_DIR {--vcf IN.vcf.gz | --variant chr:pos:REF>ALT ...} "
            "-o OUT.{tsv,vcf.gz,bcf} REF.fa [REGION]...\n"
            "  -r/-R/REGION: score only the records whose REF overlaps these regions (as bcftools "
            "-t)",
            desc, o))
        return 0;
    DNASSM_CHECK(window >= 2, ErrorKind::kUsage, "--score-window must be >= 2");
    DNASSM_CHECK(vcf_path.empty() != variant_specs.empty(), ErrorKind::kUsage,
                 "give the variants with --vcf FILE or with --variant chr:pos:REF>ALT, one of "
                 "the two");
    // Written (and so checked) before the model loads; messages name them as --variant.
    std::unique_ptr<VariantsAsVcf> given;
    if (!variant_specs.empty()) given = std::make_unique<VariantsAsVcf>(variant_specs);
    const std::string vcf_name = given ? std::string("--variant") : vcf_path;
    if (given) vcf_path = given->path();
    DNASSM_CHECK(o.input != "-", ErrorKind::kUsage,
                 "score reads the reference at each variant through its index: give REF.fa as a "
                 "file, not standard input");
    Session s = open_session(o);
    DNASSM_CHECK(s.input->format() == InputFormat::kFasta, ErrorKind::kUsage,
                 o.input + ": score needs the reference FASTA");
    require_reference(*s.input, "score reads the variants' contigs in the reference FASTA");
    const std::int64_t limit = s.model->max_length();  // 0: none
    DNASSM_CHECK(limit == 0 || window <= limit, ErrorKind::kUsage,
                 "--score-window " + std::to_string(window) +
                     " is longer than the model's limit of " + std::to_string(limit) + " bases");
    faidx_t* fai = fai_load(o.input.c_str());
    DNASSM_CHECK(fai, ErrorKind::kInput,
                 o.input +
                     ": cannot load or build a FASTA index (bgzip-compressed or plain FASTA "
                     "needed, folder writable)");
    std::unique_ptr<faidx_t, void (*)(faidx_t*)> fai_guard(fai, fai_destroy);
    // What to say of a VCF contig the FASTA lacks: worked out once per contig, since every
    // record on it is skipped (a whole VCF, when the two name contigs differently).
    std::map<std::string, std::string> contig_hints;
    auto contig_hint = [&](const std::string& chrom) -> const std::string& {
        auto it = contig_hints.find(chrom);
        if (it != contig_hints.end()) return it->second;
        std::vector<std::string> names;
        for (int i = 0; i < faidx_nseq(fai); ++i) names.emplace_back(faidx_iseq(fai, i));
        return contig_hints.emplace(chrom, unknown_contig_hint(chrom, names)).first->second;
    };
    VcfReader vcf(vcf_path);
    bcf_hdr_t* hdr = vcf.header();
    note_other_assembly(vcf_name, hdr, fai, o.input);
    const std::string type = output_type(o, ".tsv");
    const bool vcf_out = type == ".vcf" || type == ".vcf.gz" || type == ".bcf";
    DNASSM_CHECK(vcf_out || type == ".tsv" || o.output_fmt.empty(), ErrorKind::kUsage,
                 "-O " + o.output_fmt + ": score writes tsv, vcf, vcf.gz or bcf");
    // A VCF output writes the input's header, the records keep its ids, and no record loses a
    // field on the way out: the header is extended before it is written with the FASTA's contigs,
    // the scores' INFO lines and what the records use without declaring it (the first pass).
    if (vcf_out) extend_output_header(hdr, fai, no_provenance ? "" : command_line(argc, argv));
    // The records are counted in a first pass over a file (not standard input) for --shard, for
    // progress and for a VCF output's header.
    Progress progress(s.progress_mode, 0, "score", ProgressUnit::kRecords);
    std::int64_t all_records = -1;
    DNASSM_CHECK(s.shard.whole() || vcf_path != "-", ErrorKind::kUsage,
                 "--shard counts the records first and needs a VCF file, not standard input");
    if (vcf_path != "-" && (!s.shard.whole() || vcf_out || progress.reporting()))
        all_records = scan_vcf_records(vcf_path, hdr);
    RecordRange shard;
    if (!s.shard.whole()) shard = shard_records(all_records, s.shard, "records of " + vcf_name);
    check_indexable(write_index, {o.output});
    AtomicFile file(o.output, !vcf_out);
    std::ostream* tsv = nullptr;  // a TSV output
    htsFile* out = nullptr;
    if (vcf_out) {
        const char* mode = type == ".bcf"                           ? "wb"
                           : type == ".vcf.gz" || gz_name(o.output) ? "wz"
                                                                    : "w";
        out = hts_open(file.is_stdout() ? "-" : file.temp_path().c_str(), mode);
        DNASSM_CHECK(out, ErrorKind::kResource, o.output + ": cannot write");
        DNASSM_CHECK(bcf_hdr_write(out, hdr) == 0, ErrorKind::kResource,
                     o.output + ": write failed");
    } else {
        tsv = &file.stream();
        *tsv << "CHROM\tPOS\tREF\tALT";
        for (const ScoreField& f : kScoreFields) *tsv << '\t' << f.column;
        *tsv << '\n';
    }
    auto close_out = [&] {  // false: the VCF/BCF could not be finished (disk full?)
        const bool closed = !out || hts_close(out) == 0;
        out = nullptr;
        return closed;
    };

    const Scorer scorer(*s.model, *s.backend);
    CharTokenizer tok(!o.keep_case);
    bcf1_t* rec = bcf_init();
    std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> rec_guard(rec, bcf_destroy);
    std::int64_t n_scored = 0, n_skipped = 0, n_taken = 0, n_outside = 0, n_ref_mismatch = 0,
                 n_no_alt = 0;  // ALT "." (a reference-only site): nothing to score
    // -r/-R: only records whose REF overlaps a region, as bcftools -t (streamed, no index).
    const bool restricted = !s.regions.empty();
    const RegionIndex regions(s.regions);
    // Counted in ALT alleles, as scores are: a record skipped whole counts each of its ALTs.
    // The first reason is kept for the error when nothing could be scored: with --quiet (or a
    // log that keeps only the last line) the notes are not there to read.
    constexpr std::int64_t kSkipsListed = 20;
    std::int64_t n_skip_lines = 0;
    std::string first_skip;
    const std::function<void(const std::string&, int)> skip = [&](const std::string& why,
                                                                  int alleles) {
        n_skipped += std::max(alleles, 1);
        if (first_skip.empty()) first_skip = why;
        if (++n_skip_lines <= kSkipsListed) note("dnassm score: skipped %s\n", why.c_str());
        if (n_skip_lines == kSkipsListed + 1)
            note("dnassm score: further skipped records are counted, not listed\n");
    };
    // One VCF record: read and checked in order, its ALTs scored (side by side with other
    // records' on the CPU: dnassm/record_batches.h), then written in order.
    struct Variant {
        std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> rec{nullptr, bcf_destroy};
        std::string chrom, ref;
        std::int64_t pos0 = 0;
        std::vector<Allele> alleles;
    };
    if (!s.shard.whole())
        progress.set_total(shard.end - shard.begin);
    else if (all_records >= 0)
        progress.set_total(all_records);
    RecordBatches<Variant> batches(
        *s.backend, &progress,
        [&](Variant& v, Progress* p) {
            for (Allele& a : v.alleles) {
                a.sc = scorer.score(a.ref_ids, a.alt_ids, a.edit);
                if (o.rc) {
                    reverse_complement(a.ref_ids);
                    reverse_complement(a.alt_ids);
                    const Scores r =
                        scorer.score(a.ref_ids, a.alt_ids,
                                     mirrored(a.edit, static_cast<std::int64_t>(a.ref_ids.size())));
                    a.sc.llr = 0.5 * (a.sc.llr + r.llr);
                    a.sc.l2 = 0.5 * (a.sc.l2 + r.l2);
                    a.sc.cos = 0.5 * (a.sc.cos + r.cos);
                }
            }
            if (p) p->advance(1);
        },
        [&](Variant& v) {
            bcf1_t* r = v.rec.get();
            std::vector<float> llr(static_cast<size_t>(std::max(1, r->n_allele - 1)));
            for (auto& x : llr) bcf_float_set_missing(x);
            std::vector<float> l2 = llr, cs = llr;
            for (const Allele& a : v.alleles) {
                if (!std::isnan(a.sc.llr)) llr[a.k] = static_cast<float>(a.sc.llr);
                l2[a.k] = static_cast<float>(a.sc.l2);
                cs[a.k] = static_cast<float>(a.sc.cos);
                ++n_scored;
                if (!vcf_out) {
                    // As the VCF stores them: the shortest text that reads back as the same float
                    // (a cosine distance of 3e-7 is not 0.000000).
                    auto num = [](double x) {
                        if (std::isnan(x)) return std::string("NA");
                        char buf[32];
                        const auto end =
                            std::to_chars(buf, buf + sizeof buf, static_cast<float>(x));
                        return std::string(buf, end.ptr);
                    };
                    *tsv << v.chrom << '\t' << v.pos0 + 1 << '\t' << v.ref << '\t' << a.alt << '\t'
                         << num(a.sc.llr) << '\t' << num(a.sc.l2) << '\t' << num(a.sc.cos) << '\n';
                }
            }
            if (!vcf_out) return;
            const int n = r->n_allele - 1;
            if (n > 0) {
                bcf_update_info_float(hdr, r, kScoreFields[0].info_id, llr.data(), n);
                bcf_update_info_float(hdr, r, kScoreFields[1].info_id, l2.data(), n);
                bcf_update_info_float(hdr, r, kScoreFields[2].info_id, cs.data(), n);
            }
            DNASSM_CHECK(bcf_write(out, hdr, r) == 0, ErrorKind::kResource,
                         o.output + ": write failed");
        });
    try {
        while (vcf.next(rec)) {
            const std::int64_t k = vcf.records() - 1;
            if (k == shard.end) break;  // the rest belongs to later shards
            if (!shard.contains(k)) continue;
            if (restricted &&
                !regions.overlaps(bcf_seqname_safe(hdr, rec), rec->pos, rec->pos + rec->rlen)) {
                ++n_outside;
                progress.advance(1);
                continue;
            }
            ++n_taken;
            if (rec->n_allele < 2) ++n_no_alt;
            // Read from standard input, a record can name what the header, written already, lacks.
            DNASSM_CHECK(!vcf_out || !(rec->errcode & (BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF)),
                         ErrorKind::kInput,
                         vcf_name + ": " + bcf_seqname_safe(hdr, rec) + ":" +
                             std::to_string(rec->pos + 1) +
                             ": a contig or INFO/FORMAT tag its header does not declare; a VCF "
                             "output from standard input needs them declared (or the VCF as a "
                             "file)");
            Variant v;
            v.rec.reset(bcf_dup(rec));
            DNASSM_CHECK(v.rec != nullptr, ErrorKind::kResource, "out of memory");
            v.chrom = bcf_seqname_safe(hdr, rec);
            v.pos0 = rec->pos;
            v.ref = upper(rec->d.allele[0]);
            const std::string& chrom = v.chrom;
            const std::string& ref = v.ref;
            const std::int64_t pos0 = v.pos0;
            const std::string where =
                vcf_name + ": " + chrom + ":" + std::to_string(pos0 + 1) + " " + shown(ref);
            std::int64_t window_bases = 0;
            if (pos0 < 0) {  // HTSlib reads a POS of 0 (a telomere) or of no number so
                skip(where + ": POS is not a position from 1 (0, or not a number)",
                     rec->n_allele - 1);
            } else if (!faidx_has_seq(fai, chrom.c_str())) {
                skip(where + ": contig not in " + o.input + contig_hint(chrom), rec->n_allele - 1);
            } else if (const std::int64_t clen = faidx_seq_len(fai, chrom.c_str());
                       pos0 + static_cast<std::int64_t>(ref.size()) > clen) {
                // faidx would clip the fetch to the contig's last bases and compare those.
                ++n_ref_mismatch;
                skip(where +
                         (pos0 >= clen ? ": POS is beyond the end of "
                                       : ": REF runs past the end of ") +
                         chrom + " (length " + std::to_string(clen) + ")",
                     rec->n_allele - 1);
            } else {
                hts_pos_t got = 0;
                char* fetched =
                    faidx_fetch_seq64(fai, chrom.c_str(), pos0,
                                      pos0 + static_cast<std::int64_t>(ref.size()) - 1, &got);
                const std::string fasta_ref =
                    fetched ? upper(std::string(fetched, static_cast<size_t>(got))) : "";
                free(fetched);
                if (fasta_ref != ref) {
                    ++n_ref_mismatch;
                    skip(where + ": REF does not match the FASTA (" + fasta_ref + ")",
                         rec->n_allele - 1);
                } else {
                    const std::int64_t beg = std::max<std::int64_t>(0, pos0 - window / 2);
                    const std::int64_t end = std::min(clen, beg + window);
                    char* w = faidx_fetch_seq64(fai, chrom.c_str(), beg, end - 1, &got);
                    DNASSM_CHECK(w, ErrorKind::kInput, o.input + ": cannot read " + chrom);
                    const std::string ref_win(w, static_cast<size_t>(got));
                    free(w);
                    v.alleles = cut_alleles(rec, ref, {ref_win, pos0 - beg, limit}, tok, where,
                                            skip, window_bases);
                }
            }
            batches.add(std::move(v), window_bases, 1);
        }
        batches.finish();
        progress.finish();
    } catch (...) {
        (void)close_out();
        throw;
    }
    DNASSM_CHECK(close_out(), ErrorKind::kResource, o.output + ": write failed (disk full?)");
    // Nothing scored out of records that were there is a mismatch (contig names, reference,
    // allele kinds), not a result: an empty table would pass down a pipeline unnoticed.
    if (n_taken > 0 && n_scored == 0) {
        std::string why;
        if (n_no_alt == n_taken) {
            why = " (no ALT allele: ALT is '.' throughout)";
        } else if (first_skip.empty()) {
            why = " (reasons above)";
        } else {
            // The reason names the VCF again, which this line already begins with.
            if (first_skip.rfind(vcf_name + ": ", 0) == 0) first_skip.erase(0, vcf_name.size() + 2);
            why = (n_skip_lines > 1 ? " (the first skipped: " : " (skipped: ") + first_skip + ")";
        }
        throw Error(ErrorKind::kInput, vcf_name + ": none of its " + std::to_string(n_taken) +
                                           (n_taken == 1 ? " record" : " records") +
                                           (restricted ? " in the regions" : "") +
                                           " could be scored" + why);
    }
    file.commit();
    write_indexes(write_index, {o.output});
    std::string of = restricted ? " in the regions; " + std::to_string(n_outside) + " outside" : "";
    if (n_no_alt > 0) of += ", " + std::to_string(n_no_alt) + " without an ALT allele";
    if (!s.shard.whole()) of += ", shard " + s.shard.label() + " of " + std::to_string(all_records);
    note("dnassm score: %lld alleles scored, %lld skipped (of %lld records%s)\n",
         static_cast<long long>(n_scored), static_cast<long long>(n_skipped),
         static_cast<long long>(n_taken), of.c_str());
    if (!given && n_ref_mismatch > 0 && n_ref_mismatch * 10 >= n_taken)
        note(
            "dnassm score: the REF of %lld of %lld records does not match %s: was %s called "
            "against another reference?\n",
            static_cast<long long>(n_ref_mismatch), static_cast<long long>(n_taken),
            o.input.c_str(), vcf_name.c_str());
    return 0;
}

}  // namespace dnassm::app
