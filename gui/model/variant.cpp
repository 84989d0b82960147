#include "variant.h"

#include "dnassm/error.h"
#include "dnassm/io/variant_spec.h"

#include "locus.h"

namespace dnassm::gui {

std::string Snv::label() const {
    return contig + ":" + with_commas(pos + 1) + " " + ref + ">" + alt;
}

Snv parse_snv(const std::string& text) {
    const VariantSpec v = parse_variant_spec(text);
    DNASSM_CHECK(v.ref.size() == 1 && v.alts.size() == 1 && v.alts[0].size() == 1,
                 ErrorKind::kUsage,
                 "variant '" + text +
                     "': only single-base substitutions (an indel would shift the positions "
                     "the tracks are drawn at)");
    DNASSM_CHECK(v.ref != "N" && v.alts[0] != "N", ErrorKind::kUsage,
                 "variant '" + text + "': REF and ALT must be A, C, G or T");
    return {v.contig, v.pos - 1, v.ref[0], v.alts[0][0]};
}

}  // namespace dnassm::gui
