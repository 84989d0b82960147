#include "dnassm/io/text_lines.h"

#include <htslib/kseq.h>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"

namespace dnassm {

TextLines::TextLines(const std::string& path) {
    require_readable_file(path);
    fp_ = hts_open(path.c_str(), "r");
}

TextLines::~TextLines() {
    ks_free(&line_);
    if (fp_) hts_close(fp_);
}

bool TextLines::next(std::string_view& line) {
    if (!fp_ || (status_ = hts_getline(fp_, KS_SEP_LINE, &line_)) < 0) return false;
    ++line_no_;
    line = std::string_view(line_.s ? line_.s : "", line_.l);
    // A spreadsheet's "CSV UTF-8" starts with a byte order mark, which is not part of the text.
    if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    return true;
}

void TextLines::check_read(const std::string& path) const {
    DNASSM_CHECK(!failed(), ErrorKind::kInput,
                 path + ": read error at line " + std::to_string(line_no_ + 1) +
                     " (truncated or corrupt compressed file?)");
}

}  // namespace dnassm
