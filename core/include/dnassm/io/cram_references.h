// Where HTSlib looks for the reference a CRAM is decoded against.
#pragma once

namespace dnassm {

/// Without REF_PATH, HTSlib fetches a CRAM's reference from the EBI's server by its MD5. dnassm
/// downloads nothing at run time, so this sets REF_PATH, when unset, to the local cache samtools
/// fills (REF_CACHE, else HTSlib's default ~/.cache/hts-ref). A REF_PATH the user sets is kept.
/// Call before opening an alignment file.
void keep_cram_references_local();

}  // namespace dnassm
