// "# key: value" lines at the top of a text track (bedGraph, BED calls): where such a file says
// what produced it. bedGraph and BED readers (UCSC's, bedtools, IGV, tabix's meta character, and
// ours: is_bed_header_line) skip lines that start with '#'.
#pragma once

#include <ostream>

#include "dnassm/io/writers.h"

namespace dnassm {

/// One line per attribute; a line break inside a value is written as a space, so each stays one
/// comment line.
void write_comment_lines(std::ostream& out, const FileAttributes& attributes);

}  // namespace dnassm
