#include "dnassm/text.h"

#include <algorithm>

#include "dnassm/error.h"

namespace dnassm {

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == line.npos; }

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

void split_whitespace(std::string_view line, size_t max, std::vector<std::string_view>& out) {
    out.clear();
    for (size_t b = line.find_first_not_of(" \t\r");
         b != std::string_view::npos && out.size() < max;) {
        const size_t e = std::min(line.find_first_of(" \t\r", b), line.size());
        out.push_back(line.substr(b, e - b));
        b = line.find_first_not_of(" \t\r", e);
    }
}

std::vector<std::string> split_csv(std::string_view line, const std::string& where) {
    const auto unbalanced = [&] {
        return Error(ErrorKind::kInput,
                     where +
                         ": unbalanced quotes (a field that opens with \" ends with \" before "
                         "the next comma)");
    };
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> out;
    if (line.empty()) return out;
    auto skip_spaces = [&](size_t i) {
        while (i < line.size() && line[i] == ' ') ++i;
        return i;
    };
    size_t i = 0;
    while (true) {
        i = skip_spaces(i);
        std::string field;
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i == line.size()) throw unbalanced();
                if (line[i] != '"') {
                    field += line[i];
                } else if (i + 1 < line.size() && line[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    break;
                }
            }
            i = skip_spaces(i + 1);
            if (i < line.size() && line[i] != ',') throw unbalanced();
        } else {
            const size_t at = std::min(line.find(',', i), line.size());
            field = line.substr(i, at - i);
            while (!field.empty() && field.back() == ' ') field.pop_back();
            i = at;
        }
        out.push_back(std::move(field));
        if (i == line.size()) return out;
        ++i;  // past the comma
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
