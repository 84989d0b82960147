#include "dnassm/io/sequence_input.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <htslib/hts_log.h>
#include <htslib/kseq.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>

#include "dnassm/error.h"
#include "dnassm/io/cram_references.h"
#include "dnassm/io/fasta_index_check.h"
#include "dnassm/io/file_format.h"
#include "dnassm/io/input_file.h"
#include "dnassm/tokenizer.h"

#include "table_input.h"

namespace {
// kseq over BGZF reads plain, gzip and BGZF FASTA/FASTQ alike.
int bgzf_read_adapter(BGZF* fp, void* buf, int len) {
    return static_cast<int>(bgzf_read(fp, buf, static_cast<size_t>(len)));
}
KSEQ_INIT(BGZF*, bgzf_read_adapter)
}  // namespace

namespace dnassm {

namespace {

namespace fs = std::filesystem;

// FASTA/FASTQ: faidx when the file can be indexed (plain or BGZF, index present or creatable),
// otherwise every record is read into memory once.
class FastaInput final : public SequenceInput {
  public:
    /// `in`: standard input, already opened to detect its format (path "-"); taken over.
    FastaInput(const std::string& path, InputFormat fmt, bool stranded = false, hFILE* in = nullptr)
        : fmt_(fmt), stranded_(stranded), stdin_(in) {
        path_ = path;
        if (path != "-" && fmt == InputFormat::kFasta) {
            fai_ = fai_load3(path.c_str(), nullptr, nullptr, FAI_CREATE);
        }
        if (fai_) {
            try {
                empty_ = check_fasta_index_covers_file(path, path + ".fai");
            } catch (const Error&) {
                fai_destroy(fai_);
                fai_ = nullptr;
                // faidx keeps the first of records sharing a name: a set of reads, then, read
                // whole as a FASTQ is. Else the index is out of date, as the error says (found
                // from the header lines alone: a genome is not read into memory to say so).
                if (!has_repeated_name(path)) throw;
                load_all();
            }
        }
        if (fai_) {
            for (int i = 0; i < faidx_nseq(fai_); ++i) {
                const char* name = faidx_iseq(fai_, i);
                contigs_.push_back(Contig{name, faidx_seq_len(fai_, name)});
            }
        } else if (seqs_.empty()) {
            load_all();
            if (path != "-" && fmt == InputFormat::kFasta && repeated_.empty())
                unindexed_ = unindexed_reason_of(path);
        }
        // A record every output would name "" (an invalid bedGraph/bigWig contig, a blank id).
        const auto unnamed = std::find_if(contigs_.begin(), contigs_.end(),
                                          [](const Contig& c) { return c.name.empty(); });
        DNASSM_CHECK(
            unnamed == contigs_.end(), ErrorKind::kInput,
            path_ + ": a record has no name (a '" + (fmt_ == InputFormat::kFasta ? ">" : "@") +
                "' line with nothing after it" +
                (unnamed == contigs_.begin() ? std::string(", the first record)")
                                             : ", after '" + std::prev(unnamed)->name + "')"));
        DNASSM_CHECK(!contigs_.empty(), ErrorKind::kInput,
                     path_ + (empty_.count > 0 ? ": no sequences (" + std::to_string(empty_.count) +
                                                     " records, none with bases)"
                                               : ": no sequences (empty or not FASTA/FASTQ)"));
    }
    ~FastaInput() override {
        if (fai_) fai_destroy(fai_);
        if (stdin_) hclose_abruptly(stdin_);
    }
    InputFormat format() const override { return fmt_; }
    const std::vector<Contig>& contigs() const override { return contigs_; }
    std::string reference_problem() const override {
        if (repeated_.empty()) return {};
        return "'" + *repeated_.begin() + "' names more than one record (" +
               std::to_string(repeated_.size()) +
               " name(s) do): a set of reads, not a reference with a record per name";
    }

    void for_each(const std::vector<Region>& regions,
                  const std::function<void(SequenceRecord&)>& fn) override {
        const bool whole = regions.empty();
        const std::vector<Region> todo = whole ? whole_contigs(contigs_) : regions;
        DNASSM_CHECK(whole || fmt_ == InputFormat::kFasta, ErrorKind::kInput,
                     path_ + ": regions need a FASTA or BAM/CRAM input, not FASTQ");
        for (const Region& r : regions) {
            DNASSM_CHECK(!r.unplaced(), ErrorKind::kUsage,
                         path_ + ": region '*' selects unplaced reads, which a FASTA has none of");
            DNASSM_CHECK(!repeated_.count(r.contig), ErrorKind::kInput,
                         path_ + ": region " + r.label() + ": '" + r.contig +
                             "' names more than one record, so a region cannot say which");
        }
        for (const Region& r : todo) {
            SequenceRecord rec;
            if (fmt_ == InputFormat::kFasta) rec.region = r;  // a read has no reference interval
            rec.name = whole ? r.contig : r.label();
            if (fai_) {
                hts_pos_t len = 0;
                char* s = faidx_fetch_seq64(fai_, r.contig.c_str(), r.beg, r.end - 1, &len);
                DNASSM_CHECK(s && len == r.length(), ErrorKind::kInput,
                             path_ + ": cannot fetch " + r.label() + " (corrupt file or index?)");
                rec.seq.assign(s, static_cast<size_t>(len));
                std::free(s);
            } else {
                const std::string& all = seqs_.at(static_cast<size_t>(r.tid));
                rec.seq = all.substr(static_cast<size_t>(r.beg), static_cast<size_t>(r.length()));
            }
            if (!stranded_) {
                rec.region.strand = '.';   // read as the forward strand
            } else if (r.strand == '-') {  // as bedtools getfasta -s, names and all
                reverse_complement_bases(rec.seq);
                rec.name += "(-)";
            }
            fn(rec);
        }
    }

  private:
    static std::string unindexed_reason_of(const std::string& path) {
        const DetectedFormat f = detect_file_format(path);
        if (f.compressed && !f.bgzf)
            return "it is gzip-compressed, not bgzip, so it cannot be indexed (recompress it: "
                   "zcat " +
                   path + " | bgzip > OUT.fa.gz)";
        return "it has no .fai index and none could be written beside it ('samtools faidx' it "
               "where it can be written)";
    }

    // Whether two header lines of the FASTA at `path` (plain, gzip or BGZF) name one record.
    static bool has_repeated_name(const std::string& path) {
        BGZF* fp = bgzf_open(path.c_str(), "r");
        if (!fp) return false;
        kstring_t line = KS_INITIALIZE;
        std::set<std::string> seen;
        bool repeated = false;
        while (!repeated && bgzf_getline(fp, '\n', &line) >= 0) {
            if (line.l == 0 || line.s[0] != '>') continue;
            const std::string_view header(line.s + 1, line.l - 1);
            repeated = !seen.emplace(header.substr(0, header.find_first_of(" \t\r"))).second;
        }
        ks_free(&line);
        bgzf_close(fp);
        return repeated;
    }

    void load_all() {
        BGZF* fp = stdin_         ? bgzf_hopen(std::exchange(stdin_, nullptr), "r")
                   : path_ == "-" ? bgzf_dopen(STDIN_FILENO, "r")
                                  : bgzf_open(path_.c_str(), "r");
        DNASSM_CHECK(fp, ErrorKind::kResource, path_ + ": cannot open");
        kseq_t* ks = kseq_init(fp);
        int ret;
        std::map<std::string, int> seen;
        while ((ret = kseq_read(ks)) >= 0) {
            std::string name(ks->name.s, ks->name.l);
            // kseq keeps the CR of a blank CRLF line; it is a line break, not a base.
            std::string seq(ks->seq.s, ks->seq.l);
            std::erase(seq, '\r');
            if (seq.empty()) {  // left out, as faidx leaves an indexed FASTA's out
                empty_.add(std::move(name));
                continue;
            }
            // kseq takes an '@' record that stops after its bases for a FASTA record: in a FASTQ
            // that is a file cut short, or a record without its '+' line.
            DNASSM_CHECK(fmt_ != InputFormat::kFastq || ks->qual.l > 0, ErrorKind::kInput,
                         path_ + ": record " + std::to_string(contigs_.size() + 1) + " ('" + name +
                             "'): no '+' line and qualities (truncated or malformed FASTQ)");
            // Reads may share a name, as an interleaved pair's mates do, and are taken one by
            // one, as a BAM's reads are; a FASTA with such names is a set of reads, not a
            // reference (reference_problem).
            if (fmt_ == InputFormat::kFasta &&
                !seen.emplace(name, static_cast<int>(contigs_.size())).second)
                repeated_.insert(name);
            contigs_.push_back(Contig{name, static_cast<std::int64_t>(seq.size())});
            seqs_.push_back(std::move(seq));
        }
        const std::string at =
            path_ + ": record " + std::to_string(contigs_.size() + 1) +
            (ks->name.l ? " ('" + std::string(ks->name.s, ks->name.l) + "')" : "");
        kseq_destroy(ks);
        bgzf_close(fp);
        DNASSM_CHECK(ret == -1, ErrorKind::kInput,
                     at + (ret == -2 ? ": quality string and sequence differ in length (truncated "
                                       "or malformed FASTQ)"
                                     : ": malformed or truncated FASTA/FASTQ"));
    }

    InputFormat fmt_;
    bool stranded_;
    hFILE* stdin_ = nullptr;  // until load_all reads it
    faidx_t* fai_ = nullptr;
    std::vector<Contig> contigs_;
    std::vector<std::string> seqs_;   // in-memory fallback only
    std::set<std::string> repeated_;  // FASTA names of more than one record
};

class AlignmentInput final : public SequenceInput {
  public:
    /// `in`: standard input, already opened to detect its format (path "-"); taken over.
    AlignmentInput(const std::string& path,
                   const DetectedFormat& format,
                   const InputOptions& opts,
                   hFILE* in = nullptr)
        : filter_(opts.filter), format_(format), reference_(opts.reference) {
        path_ = path;
        keep_cram_references_local();
        open(in);
        for (int i = 0; i < sam_hdr_nref(hdr_); ++i)
            contigs_.push_back(Contig{sam_hdr_tid2name(hdr_, i), sam_hdr_tid2len(hdr_, i)});
    }
    ~AlignmentInput() override {
        if (idx_) hts_idx_destroy(idx_);
        bam_hdr_destroy(hdr_);
        sam_close(fp_);
    }
    InputFormat format() const override { return InputFormat::kAlignments; }
    const std::vector<Contig>& contigs() const override { return contigs_; }

    void for_each(const std::vector<Region>& regions,
                  const std::function<void(SequenceRecord&)>& fn) override {
        bam1_t* b = bam_init1();
        auto guard = std::unique_ptr<bam1_t, void (*)(bam1_t*)>(b, bam_destroy1);
        if (regions.empty()) {
            from_the_first_record();
            int ret;
            std::int64_t n = 0;
            while ((ret = sam_read1(fp_, hdr_, b)) >= 0) {
                ++n;
                emit(b, fn);
            }
            DNASSM_CHECK(ret == -1, ErrorKind::kInput,
                         unreadable("record " + std::to_string(n + 1)));
            return;
        }
        if (!idx_) {
            DNASSM_CHECK(path_ != "-", ErrorKind::kUsage,
                         "-: regions need the reads' index, which standard input has none of "
                         "(save the reads to a file and 'samtools index' it)");
            idx_ = sam_index_load(fp_, path_.c_str());
            DNASSM_CHECK(idx_, ErrorKind::kInput,
                         path_ + ": no index (.bai/.csi/.crai), which regions need; " +
                             alignment_index_advice(path_, format_));
        }
        read_before_ = true;  // the queries move the file
        static_assert(Region::kUnplacedTid == HTS_IDX_NOCOOR);
        for (const Region& r : regions) {
            // fn may throw (a writer refusing a second record): the iterator is freed then too.
            const std::unique_ptr<hts_itr_t, void (*)(hts_itr_t*)> itr(
                sam_itr_queryi(idx_, r.tid, r.beg, r.end), hts_itr_destroy);
            DNASSM_CHECK(itr, ErrorKind::kInput, path_ + ": cannot query " + r.label());
            int ret;
            while ((ret = sam_itr_next(fp_, itr.get(), b)) >= 0) emit(b, fn);
            DNASSM_CHECK(ret == -1, ErrorKind::kInput, unreadable("a record in " + r.label()));
        }
    }

  private:
    // Opens the file (or takes `in`, standard input) and reads its header, closing what was
    // open before.
    void open(hFILE* in) {
        samFile* fp = in ? hts_hopen(in, path_.c_str(), "r") : sam_open(path_.c_str(), "r");
        DNASSM_CHECK(fp, ErrorKind::kResource, path_ + ": cannot open");
        if (!reference_.empty()) hts_set_fai_filename(fp, reference_.c_str());
        sam_hdr_t* hdr = sam_hdr_read(fp);
        if (!hdr) {
            sam_close(fp);
            throw Error(ErrorKind::kInput, path_ + ": cannot read the SAM/BAM/CRAM header");
        }
        if (fp_) sam_close(fp_);
        if (hdr_) sam_hdr_destroy(hdr_);
        fp_ = fp;
        hdr_ = hdr;
    }

    // A whole-file pass reads from the first record: after an earlier pass, or region queries
    // (which move the file), the file is opened again. Standard input can be read once.
    void from_the_first_record() {
        if (!std::exchange(read_before_, true)) return;
        DNASSM_CHECK(path_ != "-", ErrorKind::kUsage, "-: standard input can be read only once");
        open(nullptr);
    }

    // Why `what` could not be read. A CRAM record is decoded against its reference, which is
    // the likelier cause than a corrupt file.
    std::string unreadable(const std::string& what) const {
        // HTSlib refuses a SAM record placed on a contig when the header declares none.
        if (format_.format == FileFormat::kSam && sam_hdr_nref(hdr_) == 0)
            return path_ + ": " + what +
                   " cannot be read: the header has no @SQ lines for the contigs its reads name";
        if (format_.format != FileFormat::kCram)
            return path_ + ": " + what + " is truncated or corrupt (HTSlib could not read it)";
        if (reference_.empty())
            return path_ + ": " + what +
                   " cannot be decoded: the CRAM's reference was not found (give it with -T "
                   "REF.fa; dnassm looks references up in REF_PATH and REF_CACHE, and does not "
                   "download them)";
        return path_ + ": " + what + " cannot be decoded with the reference " + reference_ +
               " (not the one the CRAM was written against, or a corrupt file)";
    }

    void emit(bam1_t* b, const std::function<void(SequenceRecord&)>& fn) {
        const auto& c = b->core;
        if (c.qual < filter_.min_mapq) return;
        if ((c.flag & filter_.require_flags) != filter_.require_flags) return;
        if (c.flag & filter_.exclude_flags) return;
        if (c.l_qseq <= 0) return;  // SEQ '*'
        SequenceRecord rec;
        rec.name = bam_get_qname(b);
        if (c.flag & BAM_FPAIRED) rec.name += (c.flag & BAM_FREAD1) ? "/1" : "/2";
        rec.seq.resize(static_cast<size_t>(c.l_qseq));
        const std::uint8_t* s = bam_get_seq(b);
        for (int i = 0; i < c.l_qseq; ++i)
            rec.seq[static_cast<size_t>(i)] = seq_nt16_str[bam_seqi(s, i)];
        // An unmapped read placed at its mate's position (flag 0x4 with RNAME/POS set, "for
        // sorting") has no alignment span: it is written as an unplaced read, like FASTQ's.
        const bool placed = c.tid >= 0 && !(c.flag & BAM_FUNMAP);
        rec.region.tid = placed ? c.tid : -1;
        if (placed) {
            rec.region.contig = contigs_[static_cast<size_t>(c.tid)].name;
            rec.region.beg = c.pos;
            rec.region.end = bam_endpos(b);
        }
        fn(rec);
    }

    ReadFilter filter_;
    DetectedFormat format_;
    std::string reference_;
    samFile* fp_ = nullptr;
    sam_hdr_t* hdr_ = nullptr;
    hts_idx_t* idx_ = nullptr;
    bool read_before_ = false;  // whether the file has been read (or queried) before
    std::vector<Contig> contigs_;
};

}  // namespace

void require_reference(const SequenceInput& in, const std::string& what) {
    const std::string problem = in.reference_problem();
    DNASSM_CHECK(problem.empty(), ErrorKind::kUsage, in.path() + ": " + problem + "; " + what);
}

std::unique_ptr<SequenceInput> SequenceInput::open(const std::string& path,
                                                   const InputOptions& opts) {
    hts_set_log_level(HTS_LOG_OFF);  // we report errors ourselves, one line each
    // "data.bam##idx##/elsewhere/data.bam.bai": the index at another place, as samtools takes it
    // (HTSlib reads the suffix; the checks here are for the data file).
    const auto delim = path.find(HTS_IDX_DELIM);
    const std::string data = path.substr(0, delim);
    if (delim != std::string::npos) {
        const std::string index = path.substr(delim + std::strlen(HTS_IDX_DELIM));
        std::error_code ec;
        DNASSM_CHECK(fs::is_regular_file(index, ec), ErrorKind::kResource,
                     path + ": index " + index + ": no such file");
    }
    if (path != "-" && delim == std::string::npos && is_table_path(path))
        return open_table(path, opts);
    if (path != "-") {
        std::error_code ec;
        require_readable_file(data, "a sequence file");
        DNASSM_CHECK(fs::file_size(data, ec) > 0, ErrorKind::kInput, data + ": empty file");
    }
    // Standard input: HTSlib peeks at a pipe's first bytes through its buffer without consuming
    // them, so it is detected as a file is, then read from that same buffered stream. What is not
    // reads goes to the FASTA/FASTQ reader, which says when it holds no sequences.
    std::unique_ptr<hFILE, int (*)(hFILE*)> in(nullptr, hclose);
    DetectedFormat fmt;
    if (path == "-") {
        require_readable_file(path);
        in.reset(hdopen(STDIN_FILENO, "r"));
        DNASSM_CHECK(in, ErrorKind::kResource, "standard input: cannot open");
        fmt = detect_stream_format(in.get(), path);
        if (!fmt.alignments() && fmt.format != FileFormat::kFastq) fmt.format = FileFormat::kFasta;
    } else {
        fmt = detect_file_format(data);
    }
    DNASSM_CHECK(delim == std::string::npos || fmt.alignments(), ErrorKind::kUsage,
                 path +
                     ": ##idx## names the index of a SAM/BAM/CRAM file (a FASTA's .fai and .gzi "
                     "sit beside it)");
    switch (fmt.format) {
        case FileFormat::kFasta:
            return std::make_unique<FastaInput>(path, InputFormat::kFasta, opts.stranded,
                                                in.release());
        case FileFormat::kFastq:
            return std::make_unique<FastaInput>(path, InputFormat::kFastq, false, in.release());
        case FileFormat::kSam:
        case FileFormat::kBam:
        case FileFormat::kCram:
            DNASSM_CHECK(!opts.stranded, ErrorKind::kUsage,
                         path +
                             ": --stranded reverse-complements the '-' strand BED intervals of "
                             "a FASTA; reads keep the orientation stored in the file");
            return std::make_unique<AlignmentInput>(path, fmt, opts, in.release());
        default:
            DNASSM_CHECK(!fmt.description.empty(), ErrorKind::kInput,
                         data + ": cannot detect the file format");
            DNASSM_CHECK(!fmt.byte_order_mark, ErrorKind::kInput,
                         data + ": " + byte_order_mark_problem(data));
            throw Error(
                ErrorKind::kInput,
                path + ": not FASTA, FASTQ, SAM, BAM or CRAM (detected: " + fmt.description + ")");
    }
}

}  // namespace dnassm
