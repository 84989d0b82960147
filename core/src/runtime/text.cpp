#include "dnassm/text.h"

namespace dnassm {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    if (s.empty()) return out;
    size_t pos = 0;
    while (true) {
        const size_t at = s.find(sep, pos);
        out.emplace_back(s.substr(pos, at == std::string_view::npos ? s.npos : at - pos));
        if (at == std::string_view::npos) return out;
        pos = at + 1;
    }
}

std::string json_message(std::string_view what) {
    if (what.rfind("[json.exception.", 0) == 0) {
        const size_t end = what.find("] ");
        if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    return std::string(what);
}

}  // namespace dnassm
