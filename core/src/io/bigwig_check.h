// Internal: structural checks of a bigWig file before libBigWig reads it. libBigWig trusts the
// offsets and counts stored in the file, so a truncated or corrupt file can crash it; this walks
// what bwOpen and interval queries follow (header, zoom headers, chromosome B+ tree, R-tree
// indexes, data-section count) and refuses files whose structure points outside themselves.
#pragma once

#include <cstdint>
#include <string>

namespace dnassm {

// The format's magic numbers: the file (first and last 4 bytes), the chromosome B+ tree, an R-tree.
constexpr std::uint32_t kBigWigMagic = 0x888FFC26, kBigWigChromTreeMagic = 0x78CA8C91,
                        kBigWigRTreeMagic = 0x2468ACE0;

/// Throws Error(kInput) naming the file and the first inconsistency.
void check_bigwig_structure(const std::string& path);

}  // namespace dnassm
