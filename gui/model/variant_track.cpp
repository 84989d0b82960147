#include "variant_track.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <htslib/vcf.h>

#include "dnassm/error.h"
#include "dnassm/io/contig_hint.h"
#include "dnassm/io/score_fields.h"
#include "dnassm/io/vcf_reader.h"

namespace dnassm::gui {

std::vector<Region> read_vcf_variants(const std::string& path,
                                      const std::vector<Contig>& contigs,
                                      size_t* left_out,
                                      std::map<std::string, std::string>* aliases) {
    VcfReader in(path);
    bcf_hdr_t* hdr = in.header();
    std::unordered_map<std::string, std::int64_t> length;
    for (const Contig& c : contigs) length.emplace(c.name, c.length);
    ContigAliases contig_aliases(contigs);
    std::map<std::string, std::string> renamed;
    // dnassm score's INFO fields, those the header declares, as they are shown.
    std::vector<std::pair<const char*, const char*>> scores;
    for (const ScoreField& f : kScoreFields)
        if (bcf_hdr_idinfo_exists(hdr, BCF_HL_INFO, bcf_hdr_id2int(hdr, BCF_DT_ID, f.info_id)))
            scores.emplace_back(f.info_id, f.column);
    std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> rec(bcf_init(), bcf_destroy);
    float* values = nullptr;
    int n_values = 0;
    std::unique_ptr<float, void (*)(void*)> hold(nullptr, std::free);
    std::vector<Region> out;
    size_t unknown = 0;
    while (in.next(rec.get())) {
        Region r;
        r.contig = bcf_seqname_safe(hdr, rec.get());
        if (!length.count(r.contig)) contig_aliases.rename(r.contig, renamed);
        const auto len = length.find(r.contig);
        if (len == length.end()) {
            ++unknown;
            continue;
        }
        r.beg = rec->pos;
        r.end = rec->pos + std::max<std::int64_t>(1, rec->rlen);
        DNASSM_CHECK(r.end <= len->second, ErrorKind::kInput,
                     path + ": record " + std::to_string(in.records()) + " (" + r.contig + ":" +
                         std::to_string(rec->pos + 1) + ") reaches past the end of " + r.contig +
                         " (length " + std::to_string(len->second) +
                         "): a VCF of another assembly?");
        const std::string id = rec->d.id ? rec->d.id : ".";
        if (id != ".") r.name = id + " ";
        r.name += rec->d.allele[0];
        for (int a = 1; a < rec->n_allele; ++a)
            r.name += std::string(a == 1 ? ">" : ",") + rec->d.allele[a];
        for (const auto& [tag, shown] : scores) {
            const int n = bcf_get_info_float(hdr, rec.get(), tag, &values, &n_values);
            hold.release();
            hold.reset(values);
            if (n <= 0) continue;
            r.name += std::string(" ") + shown + "=";
            for (int i = 0; i < n; ++i) {
                if (i) r.name += ",";
                char text[32] = "NA";
                if (!bcf_float_is_missing(values[i]) && !std::isnan(values[i]))
                    std::snprintf(text, sizeof text, "%.4g", static_cast<double>(values[i]));
                r.name += text;
            }
        }
        out.push_back(std::move(r));
    }
    if (left_out) *left_out = unknown;
    if (aliases) *aliases = std::move(renamed);
    return out;
}

}  // namespace dnassm::gui
