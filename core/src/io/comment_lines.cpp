#include "comment_lines.h"

#include <algorithm>
#include <string>

namespace dnassm {

void write_comment_lines(std::ostream& out, const FileAttributes& attributes) {
    for (const auto& [key, value] : attributes) {
        std::string line = "# " + key + ": " + value;
        std::replace_if(
            line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
        out << line << '\n';
    }
}

}  // namespace dnassm
