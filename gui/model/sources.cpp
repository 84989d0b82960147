#include "sources.h"

#include <algorithm>

#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <htslib/sam.h>

#include "dnassm/error.h"
#include "dnassm/io/contig_hint.h"
#include "dnassm/io/cram_references.h"
#include "dnassm/io/fasta_index_check.h"
#include "dnassm/io/file_format.h"
#include "dnassm/io/gff.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/text.h"
#include "dnassm/tokenizer.h"

#include "variant_track.h"

namespace dnassm::gui {

namespace {

// Why faidx could not index a FASTA, where a cause is known: HTSlib's faidx refuses a file whose
// last record has no bases (a header line at the end), which the CLI reads into memory instead.
std::string why_not_indexed(const std::string& path) {
    try {
        TextLines lines(path);
        std::string_view s;
        std::string last_header;
        bool bases_after = false;
        while (lines.next(s)) {
            if (is_blank(s)) continue;
            if (s.front() == '>') {
                last_header = std::string(s.substr(1, s.find_first_of(" \t\r") - 1));
                bases_after = false;
            } else {
                bases_after = true;
            }
        }
        if (!lines.failed() && !last_header.empty() && !bases_after)
            return " (its last record, '" + last_header +
                   "', has no bases, which faidx cannot index: remove that header line)";
    } catch (const Error&) {
    }
    return " (plain or bgzip; build the index with samtools faidx)";
}

}  // namespace

FastaSource::FastaSource(const std::string& path) : path_(path) {
    require_readable_file(path, "a FASTA file");
    fai_ = fai_load3(path.c_str(), nullptr, nullptr, FAI_CREATE);
    DNASSM_CHECK(fai_, ErrorKind::kInput,
                 path + ": cannot open as an indexed FASTA" + why_not_indexed(path));
    try {
        empty_ = check_fasta_index_covers_file(path, path + ".fai");
    } catch (...) {
        fai_destroy(fai_);
        throw;
    }
    for (int i = 0; i < faidx_nseq(fai_); ++i) {
        const char* name = faidx_iseq(fai_, i);
        contigs_.push_back({name, faidx_seq_len(fai_, name)});
    }
}

FastaSource::~FastaSource() {
    if (fai_) fai_destroy(fai_);
}

std::int64_t FastaSource::length(const std::string& contig) const {
    for (const auto& c : contigs_)
        if (c.name == contig) return c.length;
    throw Error(ErrorKind::kInput,
                path_ + ": no contig '" + contig + "'" + unknown_contig_hint_for(contig, contigs_));
}

std::string fasta_of(const FastaSource& fasta,
                     const std::vector<Locus>& loci,
                     bool reverse_complement) {
    std::int64_t bases = 0;
    for (const Locus& l : loci) bases += l.width();
    DNASSM_CHECK(bases <= kMaxCopyBases, ErrorKind::kUsage,
                 with_commas(bases) + " bases in view: copy at most " + with_commas(kMaxCopyBases) +
                     " of sequence (zoom in)");
    std::string out;
    for (const Locus& l : loci) {
        std::string seq = fasta.fetch(l);
        if (reverse_complement) reverse_complement_bases(seq);
        out += '>';
        out += l.region();
        out += reverse_complement ? " reverse complement\n" : "\n";
        for (size_t i = 0; i < seq.size(); i += 60) {
            out.append(seq, i, 60);
            out += '\n';
        }
    }
    return out;
}

std::string FastaSource::fetch(const Locus& l) const {
    hts_pos_t len = 0;
    char* s = faidx_fetch_seq64(fai_, l.contig.c_str(), l.beg, l.end - 1, &len);
    DNASSM_CHECK(s && len == l.width(), ErrorKind::kInput, path_ + ": cannot read " + l.label());
    std::string out(s, static_cast<size_t>(len));
    free(s);
    return out;
}

std::vector<float> bam_coverage(const std::string& path, const Locus& l, const std::string& ref) {
    std::vector<float> depth(static_cast<size_t>(l.width()), 0.0f);
    require_readable_file(path, "a BAM/CRAM file");
    keep_cram_references_local();
    samFile* fp = sam_open(path.c_str(), "r");
    DNASSM_CHECK(fp, ErrorKind::kInput, path + ": cannot open");
    if (!ref.empty()) hts_set_fai_filename(fp, ref.c_str());
    sam_hdr_t* hdr = sam_hdr_read(fp);
    hts_idx_t* idx = hdr ? sam_index_load(fp, path.c_str()) : nullptr;
    bam1_t* b = bam_init1();
    auto cleanup = [&] {
        bam_destroy1(b);
        if (idx) hts_idx_destroy(idx);
        if (hdr) sam_hdr_destroy(hdr);
        sam_close(fp);
    };
    if (!hdr || !idx) {
        cleanup();
        throw Error(ErrorKind::kInput,
                    path + (hdr ? ": no index (.bai/.csi/.crai), which coverage needs; " +
                                      alignment_index_advice(path, detect_file_format(path))
                                : std::string(": not a SAM/BAM/CRAM file")));
    }
    int tid = sam_hdr_name2tid(hdr, l.contig.c_str());
    std::vector<std::string> names;
    if (tid < 0) {  // the header's name for it under another convention (chr1 for 1), if one
        for (int i = 0; i < sam_hdr_nref(hdr); ++i) names.emplace_back(sam_hdr_tid2name(hdr, i));
        const std::string alias = contig_alias(l.contig, names);
        if (!alias.empty()) tid = sam_hdr_name2tid(hdr, alias.c_str());
    }
    if (tid < 0) {
        const std::string hint = unknown_contig_hint(l.contig, names);
        cleanup();
        throw Error(ErrorKind::kInput,
                    path + ": no contig '" + l.contig + "' in the header" + hint);
    }
    hts_itr_t* itr = sam_itr_queryi(idx, tid, l.beg, l.end);
    int ret = 0;
    while (itr && (ret = sam_itr_next(fp, itr, b)) >= 0) {
        if (b->core.flag &
            (BAM_FUNMAP | BAM_FSECONDARY | BAM_FQCFAIL | BAM_FDUP | BAM_FSUPPLEMENTARY))
            continue;
        hts_pos_t pos = b->core.pos;
        // HTSlib pads the read name so that the CIGAR is 4-byte aligned; clang's -Wcast-align
        // cannot see that through bam_get_cigar's cast.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-align"
        const uint32_t* cig = bam_get_cigar(b);
#pragma GCC diagnostic pop
        for (uint32_t k = 0; k < b->core.n_cigar; ++k) {
            const int op = bam_cigar_op(cig[k]);
            const hts_pos_t len = bam_cigar_oplen(cig[k]);
            if (op == BAM_CMATCH || op == BAM_CEQUAL || op == BAM_CDIFF) {
                for (hts_pos_t p = std::max<hts_pos_t>(pos, l.beg);
                     p < std::min<hts_pos_t>(pos + len, l.end); ++p)
                    depth[static_cast<size_t>(p - l.beg)] += 1.0f;
            }
            if (bam_cigar_type(op) & 2) pos += len;  // consumes the reference
        }
    }
    hts_itr_destroy(itr);
    cleanup();
    DNASSM_CHECK(ret >= -1, ErrorKind::kInput,
                 path + ": truncated or corrupt while reading " + l.label());
    return depth;
}

std::string SignalSource::track_contig(const std::string& contig) const {
    if (track_.has_contig(contig)) return contig;
    const std::lock_guard lock(alias_mutex_);
    const std::string& alias = aliases_.of(contig);
    return alias.empty() ? contig : alias;
}

std::vector<float> SignalSource::values(const Locus& l) const {
    const std::lock_guard lock(last_mutex_);
    if (last_locus_ != l) {
        last_values_ = track_.values(track_contig(l.contig), l.beg, l.end);
        last_locus_ = l;
    }
    return last_values_;
}

std::vector<Region> read_features(const std::string& path,
                                  const std::vector<Contig>& contigs,
                                  size_t* left_out,
                                  std::vector<GeneModel>* models,
                                  std::map<std::string, std::string>* aliases) {
    if (left_out) *left_out = 0;
    std::map<std::string, std::string> renamed;
    if (const FileFormat f = detect_file_format(path).format;
        f == FileFormat::kVcf || f == FileFormat::kBcf) {
        auto out = read_vcf_variants(path, contigs, left_out, &renamed);
        if (models) {  // a box each, full height
            models->clear();
            for (const Region& v : out) models->push_back(GeneModel{{}, v.beg, v.end});
        }
        if (aliases) *aliases = std::move(renamed);
        return out;
    }
    auto out = looks_like_gff(path)
                   ? read_gff_regions(path, contigs, true, left_out, models, &renamed)
                   : read_bed(path, contigs, models, &renamed);
    if (aliases) *aliases = std::move(renamed);
    return out;
}

}  // namespace dnassm::gui
